//! A frame source that reads picture files: a stand-in camera for tests, demos and the
//! `--live a.jpg,b.jpg` option of the CLI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::{debug, trace};

use crate::camera::source::{CameraError, FrameSource, TimedFrame};
use crate::frame::Frame;

/// The file name endings a folder is searched for (compared without regard to case).
const PICTURE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// How [`ImageFiles`] serves its pictures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageFilesOptions {
    /// The frame rate the timestamps pretend: frame `i` is stamped `i / fps` seconds. Must be
    /// positive and finite. Default 10.
    pub fps: f32,
    /// Start again from the first picture after the last, forever. Default false: the source
    /// ends (`Ok(None)`) after the last picture.
    pub looping: bool,
    /// How many frames each picture is served as, one after another: 5 pictures with
    /// `repeat_each = 3` make 15 frames. Handy to simulate a camera pointed at a still photo.
    /// At least 1. Default 1.
    pub repeat_each: u32,
}

impl Default for ImageFilesOptions {
    fn default() -> Self {
        Self { fps: 10.0, looping: false, repeat_each: 1 }
    }
}

/// Picture files served as camera frames, in order, with synthetic timestamps.
///
/// Pictures are decoded when served (with [`Frame::open`]), so a damaged file is reported with
/// its path when its turn comes; the picture being repeated is kept decoded in memory and
/// nothing else is. A file that fails still uses up its frame, so a caller that carries on gets
/// the next picture rather than the same error again.
#[derive(Debug)]
pub struct ImageFiles {
    paths: Vec<PathBuf>,
    options: ImageFilesOptions,
    /// Frames served so far, counting repeats and loops: the next frame's index.
    served: u64,
    /// The last picture decoded and its position in `paths`, reused while it repeats.
    current: Option<(usize, Frame)>,
}

impl ImageFiles {
    /// Serves these picture files in the order given. Each must be an existing file; whether it
    /// is a readable picture is found out when it is served.
    pub fn from_paths<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>, options: ImageFilesOptions) -> Result<Self, CameraError> {
        check_options(&options)?;
        let paths: Vec<PathBuf> = paths.into_iter().map(Into::into).collect();
        if paths.is_empty() {
            return Err(CameraError::NoPicturesGiven);
        }
        if let Some(missing) = paths.iter().find(|p| !p.is_file()) {
            return Err(CameraError::MissingPicture { path: missing.clone() });
        }
        debug!(pictures = paths.len(), fps = options.fps, looping = options.looping, repeat_each = options.repeat_each, "picture frame source ready");
        Ok(Self { paths, options, served: 0, current: None })
    }

    /// Serves every `.jpg`, `.jpeg`, `.png` and `.bmp` file directly in `dir` (any case of the
    /// ending; sub-folders and other files are ignored), sorted by file name.
    pub fn from_dir(dir: impl AsRef<Path>, options: ImageFilesOptions) -> Result<Self, CameraError> {
        check_options(&options)?;
        Self::from_paths(pictures_in(dir.as_ref())?, options)
    }

    /// Serves the pictures of a comma-separated list, as the CLI takes it: `a.jpg,b.jpg`.
    /// Spaces around names and empty items are ignored; an item that is a folder stands for the
    /// pictures in it, as [`ImageFiles::from_dir`] finds them. (A file whose name contains a
    /// comma cannot be listed this way: use [`ImageFiles::from_paths`].)
    pub fn from_list(list: &str, options: ImageFilesOptions) -> Result<Self, CameraError> {
        check_options(&options)?;
        let mut paths = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let path = PathBuf::from(item);
            if path.is_dir() {
                paths.extend(pictures_in(&path)?);
            } else {
                paths.push(path);
            }
        }
        Self::from_paths(paths, options)
    }

    /// The picture files, in the order they are served.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// The options this source was made with.
    pub fn options(&self) -> ImageFilesOptions {
        self.options
    }

    /// Frames in one pass over the pictures, repeats included.
    fn frames_per_pass(&self) -> u64 {
        self.paths.len() as u64 * u64::from(self.options.repeat_each)
    }
}

impl FrameSource for ImageFiles {
    fn next_frame(&mut self) -> Result<Option<TimedFrame>, CameraError> {
        let index = self.served;
        if !self.options.looping && index >= self.frames_per_pass() {
            return Ok(None);
        }
        self.served += 1;
        let position = ((index % self.frames_per_pass()) / u64::from(self.options.repeat_each)) as usize;
        let frame = match &self.current {
            Some((at, frame)) if *at == position => frame.clone(),
            _ => {
                // Drop (and so wipe) the previous picture before decoding the next.
                self.current = None;
                let path = &self.paths[position];
                let frame = Frame::open(path).map_err(|source| CameraError::Picture { path: path.clone(), source })?;
                trace!(path = %path.display(), width = frame.width(), height = frame.height(), "picture decoded");
                self.current = Some((position, frame.clone()));
                frame
            }
        };
        let at = Duration::try_from_secs_f64(index as f64 / f64::from(self.options.fps)).unwrap_or(Duration::MAX);
        Ok(Some(TimedFrame { at, frame }))
    }

    fn describe(&self) -> String {
        let n = self.paths.len();
        let names = match (self.paths.first(), self.paths.last()) {
            (Some(first), Some(last)) if n > 1 => format!("{} … {}", first.display(), last.display()),
            (Some(first), _) => first.display().to_string(),
            _ => String::new(),
        };
        let mut text = format!("{n} picture{} ({names}) at {} fps", if n == 1 { "" } else { "s" }, self.options.fps);
        if self.options.repeat_each > 1 {
            text += &format!(", each shown {} times", self.options.repeat_each);
        }
        if self.options.looping {
            text += ", looping";
        }
        text
    }
}

fn check_options(options: &ImageFilesOptions) -> Result<(), CameraError> {
    if !(options.fps.is_finite() && options.fps > 0.0) {
        return Err(CameraError::BadOption(format!("frames per second must be a positive number, not {}", options.fps)));
    }
    if options.repeat_each == 0 {
        return Err(CameraError::BadOption("repeat_each must be at least 1 (each picture served once)".into()));
    }
    Ok(())
}

/// The picture files directly in `dir`, sorted by name; an error if there are none.
fn pictures_in(dir: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let read_err = |source| CameraError::ReadFolder { dir: dir.to_path_buf(), source };
    let mut pictures = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let is_picture = path.extension().and_then(|e| e.to_str()).is_some_and(|e| PICTURE_EXTENSIONS.iter().any(|p| e.eq_ignore_ascii_case(p)));
        if is_picture && path.is_file() {
            pictures.push(path);
        }
    }
    if pictures.is_empty() {
        return Err(CameraError::NoPicturesInFolder { dir: dir.to_path_buf() });
    }
    pictures.sort();
    debug!(dir = %dir.display(), pictures = pictures.len(), "pictures found in folder");
    Ok(pictures)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a `w`×`h` picture of one grey level; the format follows the file name's ending.
    fn write_picture(dir: &Path, name: &str, w: u32, h: u32, level: u8) -> PathBuf {
        let path = dir.join(name);
        image::RgbImage::from_pixel(w, h, image::Rgb([level; 3])).save(&path).unwrap();
        path
    }

    /// The grey level and size of every frame until the source ends (at most `limit`).
    fn drain(source: &mut impl FrameSource, limit: usize) -> Vec<(Duration, u8, u32)> {
        let mut out = Vec::new();
        while out.len() < limit {
            match source.next_frame().unwrap() {
                Some(t) => out.push((t.at, t.frame.pixel(0, 0)[0], t.frame.width())),
                None => break,
            }
        }
        out
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_list_is_served_in_order_then_ends() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "b.png", 4, 3, 200);
        let b = write_picture(dir.path(), "a.png", 6, 5, 50);
        let list = format!(" {} ,, {} ", a.display(), b.display());
        let mut source = ImageFiles::from_list(&list, ImageFilesOptions::default()).unwrap();
        assert_eq!(source.paths(), [a, b]);
        assert_eq!(drain(&mut source, 10), [(ms(0), 200, 4), (ms(100), 50, 6)]);
        assert!(source.next_frame().unwrap().is_none(), "an ended source stays ended");
        assert!(source.describe().starts_with("2 pictures ("), "{}", source.describe());
    }

    #[test]
    fn a_folder_gives_its_pictures_sorted_by_name_and_ignores_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        write_picture(dir.path(), "c.bmp", 2, 2, 30);
        write_picture(dir.path(), "a.PNG", 2, 2, 10);
        write_picture(dir.path(), "b.jpeg", 2, 2, 20);
        std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
        std::fs::write(dir.path().join("png"), "no ending").unwrap();
        std::fs::create_dir(dir.path().join("d.png")).unwrap();
        let mut source = ImageFiles::from_dir(dir.path(), ImageFilesOptions::default()).unwrap();
        let names: Vec<_> = source.paths().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.PNG", "b.jpeg", "c.bmp"]);
        let levels: Vec<u8> = drain(&mut source, 10).into_iter().map(|(_, level, _)| level).collect();
        // JPEG is lossy: the middle level may be off by a step or two.
        assert_eq!(levels.len(), 3);
        assert_eq!((levels[0], levels[2]), (10, 30));
        assert!(levels[1].abs_diff(20) <= 2, "{levels:?}");
        // A folder in a list stands for its pictures.
        let listed = ImageFiles::from_list(&dir.path().display().to_string(), ImageFilesOptions::default()).unwrap();
        assert_eq!(listed.paths(), source.paths());
    }

    #[test]
    fn looping_starts_again_and_time_keeps_running() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 2, 2, 1);
        let b = write_picture(dir.path(), "b.png", 2, 2, 2);
        let options = ImageFilesOptions { fps: 20.0, looping: true, ..Default::default() };
        let mut source = ImageFiles::from_paths([a, b], options).unwrap();
        let frames = drain(&mut source, 5);
        assert_eq!(frames.iter().map(|f| f.1).collect::<Vec<_>>(), [1, 2, 1, 2, 1]);
        assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), [ms(0), ms(50), ms(100), ms(150), ms(200)]);
        assert!(source.describe().ends_with("looping"), "{}", source.describe());
    }

    #[test]
    fn repeat_each_serves_a_picture_several_frames_in_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 2, 2, 7);
        let b = write_picture(dir.path(), "b.png", 2, 2, 9);
        let options = ImageFilesOptions { fps: 4.0, repeat_each: 3, ..Default::default() };
        let mut source = ImageFiles::from_paths([a, b], options).unwrap();
        let frames = drain(&mut source, 10);
        assert_eq!(frames.iter().map(|f| f.1).collect::<Vec<_>>(), [7, 7, 7, 9, 9, 9]);
        assert_eq!(frames.iter().map(|f| f.0).collect::<Vec<_>>(), (0..6).map(|i| ms(i * 250)).collect::<Vec<_>>());
        assert!(source.describe().contains("each shown 3 times"), "{}", source.describe());
    }

    #[test]
    fn a_still_photo_repeated_in_a_loop_never_ends() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 3, 2, 5);
        let options = ImageFilesOptions { looping: true, repeat_each: 2, ..Default::default() };
        let mut source = ImageFiles::from_paths([a], options).unwrap();
        let frames = drain(&mut source, 7);
        assert_eq!(frames.len(), 7);
        assert!(frames.iter().all(|f| f.1 == 5 && f.2 == 3));
        assert_eq!(frames[6].0, ms(600));
    }

    #[test]
    fn missing_files_and_empty_folders_are_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 2, 2, 1);
        let gone = dir.path().join("gone.jpg");
        let err = ImageFiles::from_list(&format!("{},{}", a.display(), gone.display()), ImageFilesOptions::default()).unwrap_err();
        assert!(matches!(&err, CameraError::MissingPicture { path } if *path == gone), "{err}");
        assert!(err.to_string().contains("gone.jpg"), "{err}");

        let empty = tempfile::tempdir().unwrap();
        let err = ImageFiles::from_dir(empty.path(), ImageFilesOptions::default()).unwrap_err();
        assert!(matches!(&err, CameraError::NoPicturesInFolder { dir } if dir == empty.path()), "{err}");
        std::fs::write(empty.path().join("readme.txt"), "x").unwrap();
        assert!(matches!(ImageFiles::from_dir(empty.path(), ImageFilesOptions::default()), Err(CameraError::NoPicturesInFolder { .. })));
        assert!(matches!(ImageFiles::from_dir(dir.path().join("nowhere"), ImageFilesOptions::default()), Err(CameraError::ReadFolder { .. })));

        assert!(matches!(ImageFiles::from_list(" , ", ImageFilesOptions::default()), Err(CameraError::NoPicturesGiven)));
        assert!(matches!(ImageFiles::from_paths(Vec::<PathBuf>::new(), ImageFilesOptions::default()), Err(CameraError::NoPicturesGiven)));
    }

    #[test]
    fn a_file_that_is_not_a_picture_is_reported_with_its_path_when_served() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake.png");
        std::fs::write(&fake, "this is text, not a PNG").unwrap();
        let good = write_picture(dir.path(), "good.png", 2, 2, 42);
        let mut source = ImageFiles::from_paths([fake.clone(), good], ImageFilesOptions::default()).unwrap();
        let err = source.next_frame().unwrap_err();
        assert!(matches!(&err, CameraError::Picture { path, .. } if *path == fake), "{err}");
        assert!(err.to_string().contains("fake.png") && !err.is_transient(), "{err}");
        // The bad file used up its frame: the next one is the good picture, stamped as frame 1.
        let next = source.next_frame().unwrap().unwrap();
        assert_eq!((next.at, next.frame.pixel(0, 0)), (ms(100), [42; 3]));
        assert!(source.next_frame().unwrap().is_none());
    }

    #[test]
    fn out_of_range_options_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 2, 2, 1);
        for fps in [0.0, -5.0, f32::NAN, f32::INFINITY] {
            let options = ImageFilesOptions { fps, ..Default::default() };
            assert!(matches!(ImageFiles::from_paths([&a], options), Err(CameraError::BadOption(_))), "fps {fps}");
        }
        let options = ImageFilesOptions { repeat_each: 0, ..Default::default() };
        assert!(matches!(ImageFiles::from_dir(dir.path(), options), Err(CameraError::BadOption(_))));
    }

    #[test]
    fn works_behind_a_boxed_trait_object() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_picture(dir.path(), "a.png", 2, 2, 3);
        let mut source: Box<dyn FrameSource> = Box::new(ImageFiles::from_paths([a], ImageFilesOptions::default()).unwrap());
        assert_eq!(drain(&mut source, 5).len(), 1);
        assert!(source.describe().starts_with("1 picture ("), "{}", source.describe());
    }
}
