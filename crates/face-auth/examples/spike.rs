use face_auth::{align, detect::*, embed::*, frame::Frame, landmark::*, models::ModelDir};
use std::time::Instant;
fn main() {
    let md = ModelDir::new("/work/face-models");
    let d = SeetaDetector::load(&md).unwrap();
    let l = OnetLandmarker::load(&md).unwrap();
    let e = MobileFaceNet::load(&md).unwrap();
    let mut embs = vec![];
    for p in std::env::args().skip(1) {
        let f = Frame::open(p.as_ref()).unwrap();
        let t = Instant::now();
        let faces = d.detect(&f).unwrap();
        let td = t.elapsed();
        println!("{p}: {}x{} {} faces {:?}", f.width(), f.height(), faces.len(), td);
        for (i, b) in faces.iter().enumerate() {
            let t = Instant::now();
            let m = l.landmarks(&f, b).unwrap();
            let tl = t.elapsed();
            let a = align::align(&f, &m).unwrap();
            let t = Instant::now();
            let em = e.embed(&a).unwrap();
            let te = t.elapsed();
            println!("  box {:?}\n  marks {:?} {:?} {:?}", b, m.0.iter().map(|p| (p.x as i32, p.y as i32)).collect::<Vec<_>>(), tl, te);
            image::RgbImage::from_raw(112,112,a.rgb().to_vec()).unwrap().save(format!("/tmp/al-{}-{i}.png", std::path::Path::new(&p).file_stem().unwrap().to_string_lossy())).unwrap();
            embs.push((format!("{}#{i}", std::path::Path::new(&p).file_stem().unwrap().to_string_lossy()), em));
        }
    }
    for i in 0..embs.len() { for j in i+1..embs.len() { println!("{:>22} {:>22} {:.3}", embs[i].0, embs[j].0, embs[i].1.cosine(&embs[j].1)); } }
}
