//! Where frames come from: a live camera, or picture files standing in for one.
//!
//! Everything that reads frames (verification, liveness) takes a [`FrameSource`], so it runs the
//! same on a kiosk's webcam (`V4lCamera`, feature `camera-v4l`) as on picture files in tests,
//! demos and the `--live a.jpg,b.jpg` option of the CLI ([`ImageFiles`]).
//! [`mean_abs_difference`] tells how much two frames differ, the motion measure liveness uses
//! against a photo held still in front of the camera.
//!
//! Privacy: frames live only in memory and are wiped when dropped. This module logs device
//! names, paths, sizes, modes and counts, never pixel data.

mod difference;
mod files;
mod mode;
mod source;
#[cfg(feature = "camera-v4l")]
mod v4l;

pub use difference::mean_abs_difference;
pub use files::{ImageFiles, ImageFilesOptions};
pub use mode::{CameraMode, PixelEncoding, closest_mode, ranked_modes};
pub use source::{CameraError, FrameSource, TimedFrame};
#[cfg(feature = "camera-v4l")]
pub use v4l::{CameraInfo, V4lCamera, VideoDevice, list_cameras};
