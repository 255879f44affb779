//! The coded fields of a card: sex (GB/T 2261.1) and ethnicity (GB/T 3304).

use std::fmt;

/// Sex, as coded by GB/T 2261.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sex {
    /// `0` 未知的性别.
    NotKnown,
    /// `1` 男.
    Male,
    /// `2` 女.
    Female,
    /// `9` 未说明的性别.
    NotStated,
}

impl Sex {
    /// The sex for a GB/T 2261.1 code character.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "0" => Some(Self::NotKnown),
            "1" => Some(Self::Male),
            "2" => Some(Self::Female),
            "9" => Some(Self::NotStated),
            _ => None,
        }
    }

    /// The GB/T 2261.1 code character.
    pub fn code(self) -> char {
        match self {
            Self::NotKnown => '0',
            Self::Male => '1',
            Self::Female => '2',
            Self::NotStated => '9',
        }
    }

    /// The standard's name: 男, 女, 未知的性别, 未说明的性别.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotKnown => "未知的性别",
            Self::Male => "男",
            Self::Female => "女",
            Self::NotStated => "未说明的性别",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// GB/T 3304 names by code: 01–56 the 56 ethnic groups, then 97 and 98.
const ETHNICITIES: [(u8, &str); 58] = [
    (1, "汉族"),
    (2, "蒙古族"),
    (3, "回族"),
    (4, "藏族"),
    (5, "维吾尔族"),
    (6, "苗族"),
    (7, "彝族"),
    (8, "壮族"),
    (9, "布依族"),
    (10, "朝鲜族"),
    (11, "满族"),
    (12, "侗族"),
    (13, "瑶族"),
    (14, "白族"),
    (15, "土家族"),
    (16, "哈尼族"),
    (17, "哈萨克族"),
    (18, "傣族"),
    (19, "黎族"),
    (20, "傈僳族"),
    (21, "佤族"),
    (22, "畲族"),
    (23, "高山族"),
    (24, "拉祜族"),
    (25, "水族"),
    (26, "东乡族"),
    (27, "纳西族"),
    (28, "景颇族"),
    (29, "柯尔克孜族"),
    (30, "土族"),
    (31, "达斡尔族"),
    (32, "仫佬族"),
    (33, "羌族"),
    (34, "布朗族"),
    (35, "撒拉族"),
    (36, "毛南族"),
    (37, "仡佬族"),
    (38, "锡伯族"),
    (39, "阿昌族"),
    (40, "普米族"),
    (41, "塔吉克族"),
    (42, "怒族"),
    (43, "乌孜别克族"),
    (44, "俄罗斯族"),
    (45, "鄂温克族"),
    (46, "德昂族"),
    (47, "保安族"),
    (48, "裕固族"),
    (49, "京族"),
    (50, "塔塔尔族"),
    (51, "独龙族"),
    (52, "鄂伦春族"),
    (53, "赫哲族"),
    (54, "门巴族"),
    (55, "珞巴族"),
    (56, "基诺族"),
    (97, "其他"),
    (98, "外国血统中国籍人士"),
];

/// An ethnicity code of GB/T 3304 (民族): `01`–`56`, `97` (其他) or `98` (外国血统中国籍人士).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ethnicity(u8);

impl Ethnicity {
    /// The ethnicity for a numeric code, if GB/T 3304 defines it.
    pub fn from_code(code: u8) -> Option<Self> {
        ETHNICITIES.iter().any(|(c, _)| *c == code).then_some(Self(code))
    }

    /// The ethnicity for the two-digit code as written on the card (`01`, `56`, `97`).
    pub fn parse(code: &str) -> Option<Self> {
        let b = code.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Self::from_code((b[0] - b'0') * 10 + (b[1] - b'0'))
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The name, e.g. 汉族.
    pub fn name(self) -> &'static str {
        // `Ethnicity` is only built from codes in the table.
        ETHNICITIES.iter().find(|(c, _)| *c == self.0).map_or("", |(_, n)| n)
    }

    /// The name as the card prints it: without the trailing 族 (汉族 → 汉), as 其他 and
    /// 外国血统中国籍人士 are.
    pub fn short_name(self) -> &'static str {
        let n = self.name();
        n.strip_suffix('族').filter(|s| !s.is_empty()).unwrap_or(n)
    }

    /// Every code GB/T 3304 defines, in order.
    pub fn all() -> impl Iterator<Item = Self> {
        ETHNICITIES.iter().map(|(c, _)| Self(*c))
    }
}

impl fmt::Display for Ethnicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_56_groups_and_97_98_are_named() {
        let codes: Vec<u8> = Ethnicity::all().map(Ethnicity::code).collect();
        let want: Vec<u8> = (1..=56).chain([97, 98]).collect();
        assert_eq!(codes, want);
        let names: std::collections::HashSet<&str> = Ethnicity::all().map(Ethnicity::name).collect();
        assert_eq!(names.len(), 58, "names are distinct");
        assert_eq!(Ethnicity::parse("01").unwrap().name(), "汉族");
        assert_eq!(Ethnicity::parse("01").unwrap().short_name(), "汉");
        assert_eq!(Ethnicity::parse("05").unwrap().name(), "维吾尔族");
        assert_eq!(Ethnicity::parse("25").unwrap().short_name(), "水");
        assert_eq!(Ethnicity::parse("56").unwrap().name(), "基诺族");
        assert_eq!(Ethnicity::parse("97").unwrap().name(), "其他");
        assert_eq!(Ethnicity::parse("98").unwrap().short_name(), "外国血统中国籍人士");
        for bad in ["00", "57", "96", "99", "1", "001", "a1", ""] {
            assert_eq!(Ethnicity::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sex_codes_follow_gb_t_2261_1() {
        for s in [Sex::NotKnown, Sex::Male, Sex::Female, Sex::NotStated] {
            assert_eq!(Sex::from_code(&s.code().to_string()), Some(s));
        }
        assert_eq!(Sex::from_code("1").unwrap().name(), "男");
        assert_eq!(Sex::from_code("2").unwrap().to_string(), "女");
        assert_eq!(Sex::from_code("3"), None);
        assert_eq!(Sex::from_code("M"), None);
    }
}
