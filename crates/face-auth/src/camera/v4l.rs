//! A live USB/UVC camera through V4L2, by way of `nokhwa` (feature `camera-v4l`; its build needs
//! libclang-dev, see `scripts/system-packages`).
//!
//! nokhwa is used without its own decoders (they need a C JPEG library): it hands over the raw
//! bytes of each buffer, and this module decodes MJPEG with the pure-Rust `image` decoder (which
//! supplies the standard Huffman tables webcams leave out) and converts YUYV itself. The raw
//! buffer is the driver's memory map; the only copies made are the decoded frame and the
//! decoder's scratch space, both wiped when dropped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use nokhwa::utils::{ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use nokhwa::{Camera, NokhwaError};
use tracing::{debug, info, warn};

use crate::camera::mode::{CameraMode, PixelEncoding, ranked_modes, yuyv_to_frame};
use crate::camera::source::{CameraError, FrameSource, TimedFrame};
use crate::frame::Frame;

/// Every encoding nokhwa knows, so that opening succeeds whatever the camera offers and the
/// error can list it all; the mode actually used is then chosen among the decodable ones.
const ANY_FORMAT: [FrameFormat; 6] = [FrameFormat::MJPEG, FrameFormat::YUYV, FrameFormat::NV12, FrameFormat::GRAY, FrameFormat::RAWRGB, FrameFormat::RAWBGR];

/// How many of the closest modes are tried before giving up, when a driver refuses the mode it
/// listed.
const MODES_TRIED: usize = 3;

/// Which video device to open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VideoDevice {
    /// `/dev/videoN`.
    Index(u32),
    /// A device node or a link to one, such as `/dev/v4l/by-id/usb-…-video-index0`, which stays
    /// the same whichever USB port the camera is in.
    Path(PathBuf),
}

impl From<u32> for VideoDevice {
    fn from(index: u32) -> Self {
        VideoDevice::Index(index)
    }
}

impl From<&str> for VideoDevice {
    /// A number is an index (`"0"`); anything else is a path.
    fn from(text: &str) -> Self {
        match text.trim().parse() {
            Ok(index) => VideoDevice::Index(index),
            Err(_) => VideoDevice::Path(PathBuf::from(text)),
        }
    }
}

impl From<&Path> for VideoDevice {
    fn from(path: &Path) -> Self {
        VideoDevice::Path(path.to_path_buf())
    }
}

impl From<PathBuf> for VideoDevice {
    fn from(path: PathBuf) -> Self {
        VideoDevice::Path(path)
    }
}

impl fmt::Display for VideoDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoDevice::Index(n) => write!(f, "/dev/video{n}"),
            VideoDevice::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A video device found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    /// N in `/dev/videoN`.
    pub index: u32,
    /// The device node.
    pub path: PathBuf,
    /// The name the driver gives (often the USB product name).
    pub name: String,
}

/// The video devices on this machine, by index.
///
/// This is every `/dev/video*` node: a UVC webcam usually has two, one for pictures and one for
/// metadata; opening the metadata one fails with [`CameraError::FormatNotSupported`] listing no
/// modes.
pub fn list_cameras() -> Result<Vec<CameraInfo>, CameraError> {
    let found = nokhwa::query(ApiBackend::Video4Linux).map_err(|e| CameraError::Capture { device: "/dev/video*".into(), reason: e.to_string() })?;
    let mut cameras: Vec<CameraInfo> = found
        .into_iter()
        .filter_map(|info| {
            let index = info.index().as_index().ok()?;
            Some(CameraInfo { index, path: PathBuf::from(format!("/dev/video{index}")), name: info.human_name() })
        })
        .collect();
    cameras.sort_by_key(|c| c.index);
    debug!(cameras = cameras.len(), "video devices listed");
    Ok(cameras)
}

/// A live camera read through V4L2.
///
/// Frames are stamped with a monotonic clock when they are taken from the driver, counted from
/// when the stream was opened. The driver queues a few buffers: a caller slower than the camera
/// gets frames up to that many intervals old, stamped when dequeued, not when exposed.
/// [`FrameSource::next_frame`] waits for the next frame; it never returns `Ok(None)`.
pub struct V4lCamera {
    camera: Camera,
    /// The device as the caller named it, for messages.
    device: String,
    /// The `/dev/videoN` node it resolved to.
    node: PathBuf,
    name: String,
    mode: CameraMode,
    offered: Vec<CameraMode>,
    opened: Instant,
}

impl fmt::Debug for V4lCamera {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4lCamera").field("device", &self.device).field("node", &self.node).field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl V4lCamera {
    /// Opens a camera in the mode it offers closest to `width`×`height` at `fps` (see
    /// [`ranked_modes`](crate::camera::ranked_modes)), among MJPEG and YUYV, and starts it.
    pub fn open(device: impl Into<VideoDevice>, width: u32, height: u32, fps: u32) -> Result<Self, CameraError> {
        let device = device.into();
        let label = device.to_string();
        if width == 0 || height == 0 || fps == 0 {
            return Err(CameraError::BadOption(format!("a camera needs a size and a frame rate above zero, not {width}×{height} @ {fps} fps")));
        }
        let (node, index) = resolve(&device, &label)?;
        probe(&node, &label)?;

        let request = RequestedFormat::with_formats(RequestedFormatType::None, &ANY_FORMAT);
        let mut camera = Camera::with_backend(CameraIndex::Index(index), request, ApiBackend::Video4Linux).map_err(|e| open_error(&label, &node, e))?;
        let mut offered: Vec<CameraMode> = camera.compatible_camera_formats().map_err(|e| open_error(&label, &node, e))?.into_iter().map(mode_of).collect();
        offered.sort_by_key(|m| (m.encoding, std::cmp::Reverse(u64::from(m.width) * u64::from(m.height)), std::cmp::Reverse(m.fps)));
        offered.dedup();
        debug!(device = %label, modes = offered.len(), "camera modes listed");

        let candidates = ranked_modes(&offered, width, height, fps);
        if candidates.is_empty() {
            return Err(CameraError::FormatNotSupported { device: label, offered });
        }
        let mut chosen = None;
        let mut refusal = String::new();
        for mode in candidates.iter().take(MODES_TRIED) {
            if mode_of(camera.camera_format()) == *mode {
                chosen = Some(*mode);
                break;
            }
            let format = format_of(*mode);
            // (`requset` is nokhwa's spelling.) An exact request is fulfilled as given.
            match camera.set_camera_requset(RequestedFormat::with_formats(RequestedFormatType::Exact(format), &[format.format()])) {
                Ok(_) => {
                    chosen = Some(*mode);
                    break;
                }
                Err(e) => {
                    warn!(device = %label, %mode, error = %e, "camera refused a mode it listed; trying the next");
                    refusal = e.to_string();
                }
            }
        }
        let Some(mode) = chosen else {
            return Err(CameraError::Capture {
                device: label,
                reason: format!("it refused its {} closest modes ({refusal})", candidates.len().min(MODES_TRIED)),
            });
        };
        camera.open_stream().map_err(|e| open_error(&label, &node, e))?;
        let name = camera.info().human_name();
        info!(device = %label, node = %node.display(), name = %name, %mode, "camera opened");
        Ok(Self { camera, device: label, node, name, mode, offered, opened: Instant::now() })
    }

    /// The mode in use.
    pub fn mode(&self) -> CameraMode {
        self.mode
    }

    /// Every mode the camera offers, decodable or not.
    pub fn offered_modes(&self) -> &[CameraMode] {
        &self.offered
    }

    /// The `/dev/videoN` node in use.
    pub fn node(&self) -> &Path {
        &self.node
    }

    /// The name the driver gives the camera.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl FrameSource for V4lCamera {
    fn next_frame(&mut self) -> Result<Option<TimedFrame>, CameraError> {
        let Self { camera, device, node, mode, opened, .. } = self;
        let raw = camera.frame_raw().map_err(|e| failure(device, node, e.to_string()))?;
        let at = opened.elapsed();
        let frame = match mode.encoding {
            PixelEncoding::Mjpeg => Frame::decode(&raw, "camera frame").map_err(|e| e.to_string()),
            PixelEncoding::Yuyv => yuyv_to_frame(mode.width, mode.height, &raw),
            // `open` only ever chooses a decoded encoding.
            other => Err(format!("{other} frames are not decoded")),
        }
        .map_err(|reason| CameraError::BadFrame { device: device.clone(), reason })?;
        Ok(Some(TimedFrame { at, frame }))
    }

    fn describe(&self) -> String {
        format!("camera {} ({}, {}) {}", self.device, self.node.display(), self.name, self.mode)
    }
}

/// The `/dev/videoN` node and its N for a device as given.
fn resolve(device: &VideoDevice, label: &str) -> Result<(PathBuf, u32), CameraError> {
    let path = match device {
        VideoDevice::Index(n) => PathBuf::from(format!("/dev/video{n}")),
        VideoDevice::Path(p) => p.clone(),
    };
    // Follows /dev/v4l/by-id and by-path links to the node they name.
    let node = std::fs::canonicalize(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => CameraError::PermissionDenied { device: label.to_string() },
        _ => CameraError::NoSuchDevice { device: label.to_string() },
    })?;
    let index = node.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("video")).and_then(|n| n.parse().ok());
    match index {
        Some(index) => Ok((node, index)),
        None => Err(CameraError::NoSuchDevice { device: label.to_string() }),
    }
}

/// Opens the node as the driver will (read and write) to tell a missing device from a
/// forbidden one before nokhwa folds both into one message.
fn probe(node: &Path, label: &str) -> Result<(), CameraError> {
    match std::fs::OpenOptions::new().read(true).write(true).open(node) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            std::io::ErrorKind::PermissionDenied => CameraError::PermissionDenied { device: label.to_string() },
            std::io::ErrorKind::NotFound => CameraError::NoSuchDevice { device: label.to_string() },
            _ => CameraError::Capture { device: label.to_string(), reason: e.to_string() },
        }),
    }
}

fn open_error(label: &str, node: &Path, e: NokhwaError) -> CameraError {
    match e {
        NokhwaError::OpenDeviceError(_, ref why) if why.contains("Permission denied") => CameraError::PermissionDenied { device: label.to_string() },
        // nokhwa's words when the camera lists no mode it knows at all (e.g. a metadata node).
        NokhwaError::GetPropertyError { ref property, .. } if property == "CameraFormat" => {
            CameraError::FormatNotSupported { device: label.to_string(), offered: Vec::new() }
        }
        _ => failure(label, node, e.to_string()),
    }
}

/// A failure to set up or read the camera: a disconnection if the device has gone.
fn failure(label: &str, node: &Path, reason: String) -> CameraError {
    // ENODEV is what V4L2 answers once a USB camera is unplugged; the node then disappears.
    if !node.exists() || reason.contains("No such device") {
        CameraError::Disconnected { device: label.to_string(), reason }
    } else {
        CameraError::Capture { device: label.to_string(), reason }
    }
}

fn mode_of(format: CameraFormat) -> CameraMode {
    let encoding = match format.format() {
        FrameFormat::MJPEG => PixelEncoding::Mjpeg,
        FrameFormat::YUYV => PixelEncoding::Yuyv,
        FrameFormat::NV12 => PixelEncoding::Nv12,
        FrameFormat::GRAY => PixelEncoding::Gray,
        FrameFormat::RAWRGB => PixelEncoding::Rgb24,
        FrameFormat::RAWBGR => PixelEncoding::Bgr24,
    };
    CameraMode { width: format.width(), height: format.height(), fps: format.frame_rate(), encoding }
}

fn format_of(mode: CameraMode) -> CameraFormat {
    let format = match mode.encoding {
        PixelEncoding::Mjpeg => FrameFormat::MJPEG,
        PixelEncoding::Yuyv => FrameFormat::YUYV,
        PixelEncoding::Nv12 => FrameFormat::NV12,
        PixelEncoding::Gray => FrameFormat::GRAY,
        PixelEncoding::Rgb24 => FrameFormat::RAWRGB,
        PixelEncoding::Bgr24 => FrameFormat::RAWBGR,
    };
    CameraFormat::new_from(mode.width, mode.height, format, mode.fps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_as_index_or_path() {
        assert_eq!(VideoDevice::from("2"), VideoDevice::Index(2));
        assert_eq!(VideoDevice::from("/dev/video2"), VideoDevice::Path("/dev/video2".into()));
        assert_eq!(VideoDevice::from(3).to_string(), "/dev/video3");
    }

    #[test]
    fn a_missing_or_non_video_device_is_no_such_device() {
        for device in [VideoDevice::Index(4242), VideoDevice::from("/dev/v4l/by-id/nothing-here"), VideoDevice::from("/dev/null")] {
            let err = V4lCamera::open(device.clone(), 640, 480, 30).unwrap_err();
            assert!(matches!(&err, CameraError::NoSuchDevice { device: d } if *d == device.to_string()), "{err}");
        }
    }

    #[test]
    fn a_link_resolves_to_its_video_node() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("video7");
        std::fs::write(&node, "").unwrap();
        let link = dir.path().join("usb-Webcam-video-index0");
        std::os::unix::fs::symlink(&node, &link).unwrap();
        let (resolved, index) = resolve(&VideoDevice::Path(link), "x").unwrap();
        assert_eq!((resolved, index), (std::fs::canonicalize(&node).unwrap(), 7));
    }

    #[test]
    fn zero_sizes_are_refused_before_touching_a_device() {
        assert!(matches!(V4lCamera::open(0, 0, 480, 30), Err(CameraError::BadOption(_))));
        assert!(matches!(V4lCamera::open(0, 640, 480, 0), Err(CameraError::BadOption(_))));
    }

    #[test]
    fn modes_convert_both_ways() {
        for encoding in [PixelEncoding::Mjpeg, PixelEncoding::Yuyv, PixelEncoding::Nv12, PixelEncoding::Gray, PixelEncoding::Rgb24, PixelEncoding::Bgr24] {
            let mode = CameraMode { width: 640, height: 480, fps: 30, encoding };
            assert_eq!(mode_of(format_of(mode)), mode);
        }
    }

    #[test]
    fn listing_cameras_works_with_or_without_any() {
        let cameras = list_cameras().unwrap();
        assert!(cameras.iter().all(|c| c.path == Path::new(&format!("/dev/video{}", c.index))));
        assert!(cameras.windows(2).all(|w| w[0].index < w[1].index));
    }
}
