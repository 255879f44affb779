//! Points, face boxes, the five landmarks, and the similarity transform that aligns a face to the
//! 112×112 layout the embedder was trained on.

use serde::Serialize;

/// A point in pixels (x right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Point {
    /// Across, in pixels.
    pub x: f32,
    /// Down, in pixels.
    pub y: f32,
}

impl Point {
    /// A point.
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// Distance to another point.
    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }

    /// The point halfway to another.
    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// An axis-aligned box around a face, in pixels of the frame it was found in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaceBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// The detector's confidence (its own scale).
    pub score: f32,
}

impl FaceBox {
    /// The centre.
    pub fn center(&self) -> Point {
        Point::new(self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// The square box of side `max(width, height) * scale` around the same centre.
    pub fn square(&self, scale: f32) -> FaceBox {
        let side = self.width.max(self.height) * scale;
        let c = self.center();
        FaceBox { x: c.x - side / 2.0, y: c.y - side / 2.0, width: side, height: side, score: self.score }
    }

    /// The box in the coordinates of a frame scaled by `factor`.
    pub fn scaled(&self, factor: f32) -> FaceBox {
        FaceBox { x: self.x * factor, y: self.y * factor, width: self.width * factor, height: self.height * factor, score: self.score }
    }

    /// Intersection over union with another box.
    pub fn iou(&self, other: &FaceBox) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.width).min(other.x + other.width);
        let y1 = (self.y + self.height).min(other.y + other.height);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.width * self.height + other.width * other.height - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }
}

/// The five face landmarks, in the order MTCNN and ArcFace use: the eye on the image's left
/// (the person's right eye), the other eye, the nose tip, the mouth corner on the image's left,
/// the other mouth corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Landmarks5(pub [Point; 5]);

impl Landmarks5 {
    /// The eye on the image's left.
    pub fn left_eye(&self) -> Point {
        self.0[0]
    }
    /// The eye on the image's right.
    pub fn right_eye(&self) -> Point {
        self.0[1]
    }
    /// The nose tip.
    pub fn nose(&self) -> Point {
        self.0[2]
    }
    /// The mouth corner on the image's left.
    pub fn mouth_left(&self) -> Point {
        self.0[3]
    }
    /// The mouth corner on the image's right.
    pub fn mouth_right(&self) -> Point {
        self.0[4]
    }
    /// Distance between the eyes, in pixels.
    pub fn eye_distance(&self) -> f32 {
        self.left_eye().distance(self.right_eye())
    }

    /// The same landmarks mirrored in a frame `width` pixels wide (left and right swap roles).
    pub fn mirrored(&self, width: f32) -> Landmarks5 {
        let m = |p: Point| Point::new(width - 1.0 - p.x, p.y);
        Landmarks5([m(self.0[1]), m(self.0[0]), m(self.0[2]), m(self.0[4]), m(self.0[3])])
    }
}

/// Where the five landmarks sit in the standard 112×112 ArcFace crop (insightface's
/// `arcface_dst`), which MobileFaceNet-style embedders are trained on.
pub const ARCFACE_112: Landmarks5 = Landmarks5([
    Point::new(38.2946, 51.6963),
    Point::new(73.5318, 51.5014),
    Point::new(56.0252, 71.7366),
    Point::new(41.5493, 92.3655),
    Point::new(70.7299, 92.2041),
]);

/// A similarity transform (rotation, uniform scale, translation, no reflection):
/// `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// scale·cos(angle).
    pub a: f32,
    /// scale·sin(angle).
    pub b: f32,
    /// Shift across.
    pub tx: f32,
    /// Shift down.
    pub ty: f32,
}

impl Similarity {
    /// The transform of a rotation by `angle` radians and a scale, then a shift.
    pub fn new(scale: f32, angle: f32, tx: f32, ty: f32) -> Self {
        Self { a: scale * angle.cos(), b: scale * angle.sin(), tx, ty }
    }

    /// Applies it to a point.
    pub fn apply(&self, p: Point) -> Point {
        Point::new(self.a * p.x - self.b * p.y + self.tx, self.b * p.x + self.a * p.y + self.ty)
    }

    /// Its scale factor.
    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }

    /// Its rotation, radians.
    pub fn angle(&self) -> f32 {
        self.b.atan2(self.a)
    }

    /// The inverse transform, or `None` when the scale is zero.
    pub fn inverse(&self) -> Option<Similarity> {
        let d = self.a * self.a + self.b * self.b;
        if d <= f32::EPSILON || !d.is_finite() {
            return None;
        }
        let (a, b) = (self.a / d, -self.b / d);
        Some(Similarity { a, b, tx: -(a * self.tx - b * self.ty), ty: -(b * self.tx + a * self.ty) })
    }

    /// The least-squares similarity taking `from` onto `to` (Umeyama's method in 2-D), or `None`
    /// when the `from` points all coincide (or are not finite).
    pub fn estimate(from: &[Point], to: &[Point]) -> Option<Similarity> {
        let n = from.len().min(to.len());
        if n < 2 {
            return None;
        }
        // Work in f64: the landmark spread is small next to frame coordinates.
        let mean = |ps: &[Point]| {
            let (sx, sy) = ps[..n].iter().fold((0.0f64, 0.0f64), |(sx, sy), p| (sx + p.x as f64, sy + p.y as f64));
            (sx / n as f64, sy / n as f64)
        };
        let (fx, fy) = mean(from);
        let (tx, ty) = mean(to);
        let (mut sxx, mut sxy, mut var) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let (ux, uy) = (from[i].x as f64 - fx, from[i].y as f64 - fy);
            let (vx, vy) = (to[i].x as f64 - tx, to[i].y as f64 - ty);
            sxx += ux * vx + uy * vy;
            sxy += ux * vy - uy * vx;
            var += ux * ux + uy * uy;
        }
        if var <= 1e-12 || !var.is_finite() || !sxx.is_finite() || !sxy.is_finite() {
            return None;
        }
        let a = sxx / var;
        let b = sxy / var;
        let s = Similarity { a: a as f32, b: b as f32, tx: (tx - (a * fx - b * fy)) as f32, ty: (ty - (b * fx + a * fy)) as f32 };
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(p: Point, q: Point, tol: f32) -> bool {
        (p.x - q.x).abs() <= tol && (p.y - q.y).abs() <= tol
    }

    proptest! {
        /// Landmarks moved by any similarity are mapped back onto the template exactly.
        #[test]
        fn estimate_recovers_a_similarity(scale in 0.2f32..8.0, angle in -3.1f32..3.1, tx in -500f32..500.0, ty in -500f32..500.0) {
            let t = Similarity::new(scale, angle, tx, ty);
            let from: Vec<Point> = ARCFACE_112.0.iter().map(|p| t.apply(*p)).collect();
            let est = Similarity::estimate(&from, &ARCFACE_112.0).unwrap();
            for (f, want) in from.iter().zip(ARCFACE_112.0) {
                prop_assert!(close(est.apply(*f), want, 0.02 * (1.0 + 1.0 / scale)), "{:?} -> {:?} want {:?}", f, est.apply(*f), want);
            }
            prop_assert!((est.scale() * scale - 1.0).abs() < 1e-3);
        }

        /// A transform followed by its inverse is the identity.
        #[test]
        fn inverse_undoes(scale in 0.05f32..20.0, angle in -3.1f32..3.1, tx in -1e3f32..1e3, ty in -1e3f32..1e3, x in -1e3f32..1e3, y in -1e3f32..1e3) {
            let t = Similarity::new(scale, angle, tx, ty);
            let p = Point::new(x, y);
            let back = t.inverse().unwrap().apply(t.apply(p));
            prop_assert!(close(back, p, 0.05 * (1.0 + 1.0 / scale)), "{:?} vs {:?}", back, p);
        }

        /// The estimate is the least-squares one: nudging it never lowers the error.
        #[test]
        fn estimate_is_least_squares(noise in proptest::collection::vec((-3f32..3.0, -3f32..3.0), 5), d in -0.05f32..0.05) {
            let from: Vec<Point> = ARCFACE_112.0.iter().zip(&noise).map(|(p, (nx, ny))| Point::new(p.x * 2.0 + nx + 100.0, p.y * 2.0 + ny + 40.0)).collect();
            let est = Similarity::estimate(&from, &ARCFACE_112.0).unwrap();
            let err = |s: &Similarity| from.iter().zip(ARCFACE_112.0).map(|(f, t)| { let q = s.apply(*f); (q.x - t.x).powi(2) + (q.y - t.y).powi(2) }).sum::<f32>();
            let base = err(&est);
            for nudged in [Similarity { a: est.a + d, ..est }, Similarity { b: est.b + d, ..est }, Similarity { tx: est.tx + d * 10.0, ..est }] {
                prop_assert!(err(&nudged) >= base - 1e-2, "{} < {}", err(&nudged), base);
            }
        }

        /// Mirroring twice gives the landmarks back.
        #[test]
        fn mirror_twice_is_identity(xs in proptest::collection::vec((0f32..640.0, 0f32..480.0), 5)) {
            let l = Landmarks5(std::array::from_fn(|i| Point::new(xs[i].0, xs[i].1)));
            let back = l.mirrored(640.0).mirrored(640.0);
            for (a, b) in back.0.iter().zip(l.0) {
                prop_assert!(close(*a, b, 1e-3), "{:?} vs {:?}", a, b);
            }
        }
    }

    #[test]
    fn degenerate_points_give_none() {
        let same = [Point::new(3.0, 3.0); 5];
        assert!(Similarity::estimate(&same, &ARCFACE_112.0).is_none());
        assert!(Similarity::estimate(&[Point::new(f32::NAN, 0.0), Point::new(1.0, 1.0)], &ARCFACE_112.0[..2]).is_none());
        assert!(Similarity { a: 0.0, b: 0.0, tx: 1.0, ty: 1.0 }.inverse().is_none());
    }

    #[test]
    fn boxes() {
        let b = FaceBox { x: 10.0, y: 20.0, width: 40.0, height: 60.0, score: 1.0 };
        let s = b.square(1.0);
        assert_eq!((s.width, s.height, s.center()), (60.0, 60.0, b.center()));
        assert_eq!(b.iou(&b), 1.0);
        assert_eq!(b.iou(&FaceBox { x: 100.0, ..b }), 0.0);
    }
}
