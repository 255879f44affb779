//! The frame-source trait every camera and picture sequence implements, and its error.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::camera::mode::CameraMode;
use crate::frame::{Frame, FrameError};

/// One frame and when it was taken.
#[derive(Debug, Clone)]
pub struct TimedFrame {
    /// Capture time since the source was opened. Real (a monotonic clock) for a camera;
    /// synthetic (`index / fps`) for picture files, so a sequence replays the same way every time.
    pub at: Duration,
    /// The picture, 8-bit RGB, held only in memory.
    pub frame: Frame,
}

/// Something that yields frames one after another: a camera, or picture files for tests and
/// demos. Liveness and verification read frames through this, so they run the same on both.
pub trait FrameSource {
    /// The next frame, waiting for it if the source is a camera. `Ok(None)` means the source has
    /// ended (a picture sequence that does not loop); a camera never ends this way.
    fn next_frame(&mut self) -> Result<Option<TimedFrame>, CameraError>;

    /// A short description for logs and messages: device or file names, size, rate. Never pixels.
    fn describe(&self) -> String;
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Result<Option<TimedFrame>, CameraError> {
        (**self).next_frame()
    }

    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Why a frame source could not be opened or could not give a frame.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CameraError {
    /// A picture list was empty.
    #[error("no picture files given: pass at least one, e.g. `--live a.jpg,b.jpg` or a folder of pictures")]
    NoPicturesGiven,
    /// A folder held no JPEG, PNG or BMP files.
    #[error("no .jpg, .jpeg, .png or .bmp pictures in {}: put the frames there or list the files", dir.display())]
    NoPicturesInFolder {
        /// The folder.
        dir: PathBuf,
    },
    /// A folder could not be listed.
    #[error("cannot list the folder {}: {source}", dir.display())]
    ReadFolder {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A listed picture file does not exist (or is not a file).
    #[error("picture {} does not exist or is not a file: check the path", path.display())]
    MissingPicture {
        /// The path given.
        path: PathBuf,
    },
    /// A picture file could not be read or decoded.
    #[error("cannot use {} as a frame: {source}", path.display())]
    Picture {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        source: FrameError,
    },
    /// An option of a picture sequence is out of range.
    #[error("bad frame-source option: {0}")]
    BadOption(String),
    /// No video device has this name or number.
    #[error("no camera at {device}: check that it is plugged in and that `ls /dev/video*` lists it (give /dev/videoN, a /dev/v4l/by-id/… link, or N)")]
    NoSuchDevice {
        /// The device as given.
        device: String,
    },
    /// The device exists but this user may not open it.
    #[error("permission denied opening {device}: add the user that runs hallkit to the `video` group (`usermod -aG video USER`, then log in again)")]
    PermissionDenied {
        /// The device.
        device: String,
    },
    /// The camera offers no mode this crate can decode (MJPEG or YUYV).
    #[error("camera {device} offers no MJPEG or YUYV mode, so it cannot be used here; it offers: {}", list_modes(offered))]
    FormatNotSupported {
        /// The device.
        device: String,
        /// Every mode the camera offers.
        offered: Vec<CameraMode>,
    },
    /// The camera went away while in use (unplugged, or its driver reset).
    #[error("camera {device} was disconnected: {reason}. Check the cable, then open it again")]
    Disconnected {
        /// The device.
        device: String,
        /// The driver's words.
        reason: String,
    },
    /// The camera could not be set up or read for another reason (busy, driver error).
    #[error("camera {device}: {reason}. Is another program using it? (`fuser /dev/video*`)")]
    Capture {
        /// The device.
        device: String,
        /// The driver's words.
        reason: String,
    },
    /// One frame from the camera was damaged (a truncated MJPEG, a short buffer). The next
    /// frame may be fine: see [`CameraError::is_transient`].
    #[error("camera {device} gave a damaged frame: {reason}")]
    BadFrame {
        /// The device.
        device: String,
        /// What was wrong.
        reason: String,
    },
}

impl CameraError {
    /// Whether asking for the next frame may succeed: true only for a single damaged frame.
    /// Everything else needs a person (a path, a cable, a permission) before it can work.
    pub fn is_transient(&self) -> bool {
        matches!(self, CameraError::BadFrame { .. })
    }
}

fn list_modes(modes: &[CameraMode]) -> String {
    if modes.is_empty() {
        return "nothing".into();
    }
    modes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::mode::PixelEncoding;

    #[test]
    fn format_error_lists_what_the_camera_offers() {
        let err = CameraError::FormatNotSupported {
            device: "/dev/video0".into(),
            offered: vec![
                CameraMode { width: 640, height: 480, fps: 30, encoding: PixelEncoding::Nv12 },
                CameraMode { width: 320, height: 240, fps: 15, encoding: PixelEncoding::Gray },
            ],
        };
        let text = err.to_string();
        assert!(text.contains("640×480 NV12 @ 30 fps, 320×240 GRAY @ 15 fps"), "{text}");
        assert!(!err.is_transient());
        assert!(CameraError::BadFrame { device: "x".into(), reason: "y".into() }.is_transient());
    }

    #[test]
    fn permission_hint_names_the_video_group() {
        let text = CameraError::PermissionDenied { device: "/dev/video0".into() }.to_string();
        assert!(text.contains("`video` group") && text.contains("/dev/video0"), "{text}");
    }
}
