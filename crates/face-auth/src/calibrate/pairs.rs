//! The picture pairs a calibration scores: read from a CSV file, or built from a folder with one
//! sub-folder per person.
//!
//! Only paths are held here; the pictures are read one pair at a time by
//! [`calibrate`](super::calibrate) and never copied anywhere.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

/// Two pictures and whether they show the same person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// The first picture; with card simulation on, the card photo is made from this one.
    pub a: PathBuf,
    /// The second picture (the "live" side).
    pub b: PathBuf,
    /// `true` for a genuine pair (same person), `false` for an impostor pair.
    pub same: bool,
}

/// The picture file extensions [`from_dir`] takes (case-insensitive): what [`Frame`] decodes.
///
/// [`Frame`]: crate::frame::Frame
pub const PICTURE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// Why a pair list could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PairsError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A CSV line does not have the three fields `a,b,same`.
    #[error("{file} line {line}: expected three fields `a,b,same`, found {found}")]
    FieldCount {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// How many fields the line has.
        found: usize,
    },
    /// A CSV line has a quote that is never closed.
    #[error("{file} line {line}: a quoted field is not closed (add the closing `\"`)")]
    UnclosedQuote {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// The third field is not a same/different label.
    #[error("{file} line {line}: `{value}` is not a label; write 1, true or same for a same-person pair, 0, false or different otherwise")]
    Label {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The field as written.
        value: String,
    },
    /// A path field is empty.
    #[error("{file} line {line}: picture path {column} is empty")]
    EmptyPath {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// `a` or `b`.
        column: &'static str,
    },
    /// A picture named on a CSV line does not exist.
    #[error("{file} line {line}: picture {path} does not exist (paths are relative to the CSV file's folder)")]
    MissingPicture {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The picture's path as resolved.
        path: PathBuf,
    },
    /// The CSV file holds no pairs (only blank lines, comments or a header).
    #[error("{file} holds no pairs: add lines `a,b,same`")]
    NoPairs {
        /// The CSV file.
        file: PathBuf,
    },
    /// The path given as the pairs folder is not a folder.
    #[error("{path} is not a folder: give a folder with one sub-folder of pictures per person")]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// The folder is empty.
    #[error("{path} is empty: put one sub-folder of pictures per person in it")]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// The folder has no sub-folder with pictures in it.
    #[error("{path} has no people: put one sub-folder per person in it, each holding JPEG, PNG or BMP pictures")]
    NoPeople {
        /// The folder.
        path: PathBuf,
    },
    /// A person's sub-folder holds no pictures.
    #[error("{path} holds no JPEG, PNG or BMP pictures: add at least one or remove the folder")]
    NoPictures {
        /// The person's folder.
        path: PathBuf,
    },
    /// No person has two pictures, so there is no same-person pair.
    #[error("{path}: no person has two pictures, so there are no same-person pairs; add a second picture of at least one person")]
    NoGenuinePairs {
        /// The folder.
        path: PathBuf,
    },
    /// Fewer than two people (or a cap of zero), so there is no impostor pair.
    #[error("{path}: impostor pairs need at least two people and a cap above zero")]
    NoImpostorPairs {
        /// The folder.
        path: PathBuf,
    },
}

/// Reads pairs from a CSV file: one pair per line, `a,b,same`.
///
/// - `same` is `1`, `true` or `same` for a same-person pair and `0`, `false` or `different`
///   for an impostor pair (any case).
/// - The first line may be a header: `a,b,same`, or any line whose third field is not a label.
/// - Blank lines and lines starting with `#` are skipped.
/// - Fields may be quoted with `"` (a path with a comma), `""` inside quotes is a quote.
/// - Relative paths are relative to the CSV file's folder. Every picture must exist.
pub fn load_csv(path: &Path) -> Result<Vec<Pair>, PairsError> {
    let text = fs::read_to_string(path).map_err(|source| PairsError::Io { path: path.to_path_buf(), source })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_csv(&text, path, base)
}

fn parse_csv(text: &str, file: &Path, base: &Path) -> Result<Vec<Pair>, PairsError> {
    // Spreadsheets often save UTF-8 with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pairs = Vec::new();
    let mut seen_data = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_fields(trimmed).ok_or_else(|| PairsError::UnclosedQuote { file: file.to_path_buf(), line })?;
        if fields.len() != 3 {
            return Err(PairsError::FieldCount { file: file.to_path_buf(), line, found: fields.len() });
        }
        let first = !seen_data;
        seen_data = true;
        // Only the first non-comment line may be a header: the documented `a,b,same` (whose
        // third field would otherwise read as a label), or any line without a label.
        if first && fields.iter().map(|f| f.to_ascii_lowercase()).eq(["a", "b", "same"]) {
            continue;
        }
        let same = match parse_label(&fields[2]) {
            Some(same) => same,
            None if first => continue,
            None => return Err(PairsError::Label { file: file.to_path_buf(), line, value: fields[2].clone() }),
        };
        let resolve = |field: &str, column: &'static str| {
            if field.is_empty() {
                return Err(PairsError::EmptyPath { file: file.to_path_buf(), line, column });
            }
            let p = base.join(field);
            if !p.exists() {
                return Err(PairsError::MissingPicture { file: file.to_path_buf(), line, path: p });
            }
            Ok(p)
        };
        let a = resolve(&fields[0], "a")?;
        let b = resolve(&fields[1], "b")?;
        pairs.push(Pair { a, b, same });
    }
    if pairs.is_empty() {
        return Err(PairsError::NoPairs { file: file.to_path_buf() });
    }
    Ok(pairs)
}

/// The label of a pair, or `None` when the field is not one.
fn parse_label(field: &str) -> Option<bool> {
    match field.to_ascii_lowercase().as_str() {
        "1" | "true" | "same" => Some(true),
        "0" | "false" | "different" => Some(false),
        _ => None,
    }
}

/// Splits one CSV line into trimmed fields, honouring `"` quotes; `None` for an unclosed quote.
fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ',' if !quoted => fields.push(std::mem::take(&mut field).trim().to_string()),
            c => field.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(field.trim().to_string());
    Some(fields)
}

/// Builds pairs from a folder holding one sub-folder per person, each with that person's
/// pictures (`.jpg`, `.jpeg`, `.png`, `.bmp`; hidden files and other files are ignored).
///
/// Every two pictures in one sub-folder make a genuine pair. Every two pictures of different
/// people make an impostor pair; when there are more than `max_impostors` of those, exactly
/// `max_impostors` are taken, evenly spaced through the full list (people and pictures in name
/// order), so the same folder always gives the same pairs and every pair of people is
/// represented in proportion to its pictures. Genuine pairs come first in the result.
pub fn from_dir(dir: &Path, max_impostors: usize) -> Result<Vec<Pair>, PairsError> {
    let people = people(dir)?;
    let genuine: Vec<Pair> = people
        .iter()
        .flat_map(|pics| (0..pics.len()).flat_map(move |i| (i + 1..pics.len()).map(move |j| Pair { a: pics[i].clone(), b: pics[j].clone(), same: true })))
        .collect();
    if genuine.is_empty() {
        return Err(PairsError::NoGenuinePairs { path: dir.to_path_buf() });
    }
    let impostor = impostor_pairs(&people, max_impostors);
    if impostor.is_empty() {
        return Err(PairsError::NoImpostorPairs { path: dir.to_path_buf() });
    }
    let mut pairs = genuine;
    pairs.extend(impostor);
    Ok(pairs)
}

/// The pictures of each person (sub-folder), people and pictures sorted by name.
fn people(dir: &Path) -> Result<Vec<Vec<PathBuf>>, PairsError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PairsError::Io { path, source }
    };
    if !fs::metadata(dir).map_err(io(dir))?.is_dir() {
        return Err(PairsError::NotAFolder { path: dir.to_path_buf() });
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        entries.push(entry.map_err(io(dir))?.path());
    }
    if entries.is_empty() {
        return Err(PairsError::EmptyFolder { path: dir.to_path_buf() });
    }
    entries.sort();
    let mut people = Vec::new();
    for entry in entries {
        // Follows symbolic links, so a data set may be assembled from links.
        if hidden(&entry) || !fs::metadata(&entry).map_err(io(&entry))?.is_dir() {
            continue;
        }
        let mut pictures = Vec::new();
        for file in fs::read_dir(&entry).map_err(io(&entry))? {
            let file = file.map_err(io(&entry))?.path();
            if !hidden(&file) && is_picture(&file) && fs::metadata(&file).map_err(io(&file))?.is_file() {
                pictures.push(file);
            }
        }
        if pictures.is_empty() {
            return Err(PairsError::NoPictures { path: entry });
        }
        pictures.sort();
        people.push(pictures);
    }
    if people.is_empty() {
        return Err(PairsError::NoPeople { path: dir.to_path_buf() });
    }
    Ok(people)
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

fn is_picture(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| PICTURE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Impostor pairs, in the order (person i < person j, picture of i, picture of j), capped to
/// `max` evenly spaced ones.
fn impostor_pairs(people: &[Vec<PathBuf>], max: usize) -> Vec<Pair> {
    // Blocks of the full list, one per pair of people, each n_i × n_j long.
    let blocks: Vec<(usize, usize, u128)> =
        (0..people.len()).flat_map(|i| (i + 1..people.len()).map(move |j| (i, j, (people[i].len() * people[j].len()) as u128))).collect();
    let total: u128 = blocks.iter().map(|b| b.2).sum();
    let take = (max as u128).min(total);
    let mut pairs = Vec::with_capacity(take as usize);
    let mut block = 0;
    let mut block_start = 0u128;
    for m in 0..take {
        // Index m·total/take: increasing, evenly spaced, the first is 0; when take == total it
        // is every index.
        let index = m * total / take;
        while index >= block_start + blocks[block].2 {
            block_start += blocks[block].2;
            block += 1;
        }
        let (i, j, _) = blocks[block];
        let offset = (index - block_start) as usize;
        let nj = people[j].len();
        pairs.push(Pair { a: people[i][offset / nj].clone(), b: people[j][offset % nj].clone(), same: false });
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, b"not read by the parser").unwrap();
    }

    #[test]
    fn csv_with_header_comments_quotes_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["p/a1.jpg", "p/a2.jpg", "q/b 1,x.png"] {
            touch(&dir.path().join(name));
        }
        let csv = "\u{feff}# calibration pairs\nleft,right,label\n\np/a1.jpg, p/a2.jpg ,1\r\np/a1.jpg,\"q/b 1,x.png\",different\n  # indented comment\np/a2.jpg,p/a1.jpg,TRUE\np/a2.jpg,p/a1.jpg,0\np/a1.jpg,p/a2.jpg,same\np/a1.jpg,p/a2.jpg,false\n";
        let file = dir.path().join("pairs.csv");
        fs::write(&file, csv).unwrap();
        let pairs = load_csv(&file).unwrap();
        let same: Vec<bool> = pairs.iter().map(|p| p.same).collect();
        assert_eq!(same, [true, false, true, false, true, false]);
        assert_eq!(pairs[0].a, dir.path().join("p/a1.jpg"));
        assert_eq!(pairs[0].b, dir.path().join("p/a2.jpg"));
        assert_eq!(pairs[1].b, dir.path().join("q/b 1,x.png"));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("x.jpg"));
        let file = dir.path().join("pairs.csv");
        let err = |text: &str| parse_csv(text, &file, dir.path()).unwrap_err();

        assert!(matches!(err("a,b,same\nx.jpg,x.jpg,1\nx.jpg,x.jpg,maybe\n"), PairsError::Label { line: 3, ref value, .. } if value == "maybe"));
        // A non-label on the first line is a header; anywhere else it is an error.
        assert!(matches!(err("x.jpg,x.jpg,1\nx.jpg,x.jpg,same-ish\n"), PairsError::Label { line: 2, .. }));
        assert!(matches!(err("# c\nx.jpg,x.jpg\n"), PairsError::FieldCount { line: 2, found: 2, .. }));
        assert!(matches!(err("x.jpg,x.jpg,1,extra\n"), PairsError::FieldCount { line: 1, found: 4, .. }));
        assert!(matches!(err("x.jpg,x.jpg,1\nx.jpg,missing.jpg,0\n"), PairsError::MissingPicture { line: 2, ref path, .. } if path.ends_with("missing.jpg")));
        assert!(matches!(err("x.jpg,,1\n"), PairsError::EmptyPath { line: 1, column: "b", .. }));
        assert!(matches!(err("\"x.jpg,x.jpg,1\n"), PairsError::UnclosedQuote { line: 1, .. }));
        assert!(matches!(err("# nothing\n\na,b,same\n"), PairsError::NoPairs { .. }));
        let msg = err("x.jpg,x.jpg,1\n\nx.jpg,x.jpg,yes\n").to_string();
        assert!(msg.contains("line 3") && msg.contains("pairs.csv"), "{msg}");
        assert!(matches!(load_csv(&dir.path().join("absent.csv")), Err(PairsError::Io { .. })));
    }

    #[test]
    fn folder_gives_all_genuine_and_all_impostor_pairs_under_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["ann/1.jpg", "ann/2.JPEG", "ann/3.png", "ann/notes.txt", "ann/.hidden.jpg", "bob/1.bmp", "bob/2.jpg", "cy/1.jpg"] {
            touch(&dir.path().join(name));
        }
        touch(&dir.path().join("readme.txt"));
        let pairs = from_dir(dir.path(), 1000).unwrap();
        let genuine: Vec<&Pair> = pairs.iter().filter(|p| p.same).collect();
        let impostor: Vec<&Pair> = pairs.iter().filter(|p| !p.same).collect();
        // ann: 3 pictures -> 3 pairs; bob: 2 -> 1; cy: 1 -> 0.
        assert_eq!(genuine.len(), 4);
        // ann×bob 6, ann×cy 3, bob×cy 2.
        assert_eq!(impostor.len(), 11);
        assert!(pairs[..4].iter().all(|p| p.same), "genuine pairs come first");
        for p in &genuine {
            assert_eq!(p.a.parent(), p.b.parent());
        }
        for p in &impostor {
            assert_ne!(p.a.parent(), p.b.parent());
        }
        assert!(!pairs.iter().any(|p| p.a.ends_with("notes.txt") || p.a.ends_with(".hidden.jpg") || p.b.ends_with(".hidden.jpg")));
        let mut unique: Vec<(&PathBuf, &PathBuf)> = impostor.iter().map(|p| (&p.a, &p.b)).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 11);
    }

    #[test]
    fn impostor_cap_is_deterministic_and_spread() {
        let dir = tempfile::tempdir().unwrap();
        for person in ["p0", "p1", "p2", "p3"] {
            for k in 0..5 {
                touch(&dir.path().join(format!("{person}/{k}.jpg")));
            }
        }
        // 6 pairs of people × 25 = 150 impostor pairs; take 12.
        let pairs = from_dir(dir.path(), 12).unwrap();
        let impostor: Vec<&Pair> = pairs.iter().filter(|p| !p.same).collect();
        assert_eq!(impostor.len(), 12);
        assert_eq!(pairs, from_dir(dir.path(), 12).unwrap());
        // Evenly spaced over 6 blocks of 25: two from each pair of people.
        let mut per_block = std::collections::BTreeMap::new();
        for p in &impostor {
            let key = (p.a.parent().unwrap().to_path_buf(), p.b.parent().unwrap().to_path_buf());
            *per_block.entry(key).or_insert(0) += 1;
        }
        assert_eq!(per_block.len(), 6);
        assert!(per_block.values().all(|&n| n == 2), "{per_block:?}");
        // The first taken is the first pair of the full list.
        assert_eq!(impostor[0].a, dir.path().join("p0/0.jpg"));
        assert_eq!(impostor[0].b, dir.path().join("p1/0.jpg"));
    }

    #[test]
    fn folder_errors() {
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(from_dir(empty.path(), 10), Err(PairsError::EmptyFolder { .. })));

        let loose = tempfile::tempdir().unwrap();
        touch(&loose.path().join("a.jpg"));
        assert!(matches!(from_dir(loose.path(), 10), Err(PairsError::NoPeople { .. })));
        assert!(matches!(from_dir(&loose.path().join("a.jpg"), 10), Err(PairsError::NotAFolder { .. })));
        assert!(matches!(from_dir(&loose.path().join("absent"), 10), Err(PairsError::Io { .. })));

        let no_pics = tempfile::tempdir().unwrap();
        touch(&no_pics.path().join("ann/1.jpg"));
        touch(&no_pics.path().join("bob/notes.txt"));
        assert!(matches!(from_dir(no_pics.path(), 10), Err(PairsError::NoPictures { ref path }) if path.ends_with("bob")));

        let singles = tempfile::tempdir().unwrap();
        touch(&singles.path().join("ann/1.jpg"));
        touch(&singles.path().join("bob/1.jpg"));
        assert!(matches!(from_dir(singles.path(), 10), Err(PairsError::NoGenuinePairs { .. })));

        let alone = tempfile::tempdir().unwrap();
        touch(&alone.path().join("ann/1.jpg"));
        touch(&alone.path().join("ann/2.jpg"));
        assert!(matches!(from_dir(alone.path(), 10), Err(PairsError::NoImpostorPairs { .. })));
        touch(&alone.path().join("bob/1.jpg"));
        assert!(matches!(from_dir(alone.path(), 0), Err(PairsError::NoImpostorPairs { .. })));
        assert_eq!(from_dir(alone.path(), 10).unwrap().len(), 3);
    }
}
