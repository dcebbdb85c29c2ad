//! Charts as PNG files and GIF animations, drawn with plotters.
//!
//! A font is embedded (DejaVu Sans, see `assets/DejaVuSans.LICENSE`) so charts have
//! text on machines without any system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Result, TrainError};

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();
pub(crate) const FONT_NAME: &str = "sans-serif";

pub(crate) fn register_font() {
    REGISTER.call_once(|| {
        // The embedded font is a valid TTF; failure would be a build bug.
        let _ = plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT);
    });
}

/// A named line (or point cloud) to draw.
pub struct Series {
    /// Legend label.
    pub name: String,
    /// `(x, y)` points, drawn in order; non-finite values are left out of the axis range.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series named `name` through `points`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
        }
    }
}

pub(crate) fn plot_err(path: &Path) -> impl Fn(String) -> TrainError + '_ {
    move |reason| TrainError::Plot {
        path: path.to_path_buf(),
        reason,
    }
}

/// The (min, max) of values, padded by 5%, never empty.
pub fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// A line chart of several series sharing axes, saved as PNG.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<()> {
    register_font();
    let e = plot_err(path);
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
    let (x0, x1) = padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT_NAME, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|x| e(x.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT_NAME, 14))
        .draw()
        .map_err(|x| e(x.to_string()))?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|x| e(x.to_string()))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .label_font((FONT_NAME, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(x.to_string()))?;
    root.present().map_err(|x| e(x.to_string()))
}

/// One frame of the 1-D picture of seed 001: the real density, the generator's density
/// and the discriminator's output D(x), over the same x axis.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DensityFrame {
    /// Generator updates completed when the frame was taken.
    pub step: u64,
    /// The x grid every other vector is evaluated on.
    pub xs: Vec<f64>,
    /// The data distribution's analytic density at each x.
    pub real_density: Vec<f64>,
    /// A histogram estimate of the generator's density at each x.
    pub gen_density: Vec<f64>,
    /// D(x) (a probability for logit losses, a score otherwise).
    pub d_output: Vec<f64>,
}

fn draw_density_frame(
    area: &DrawingArea<BitMapBackend, Shift>,
    f: &DensityFrame,
    y_max: f64,
    d_range: (f64, f64),
) -> std::result::Result<(), String> {
    area.fill(&WHITE).map_err(|x| x.to_string())?;
    let (x0, x1) = (f.xs[0], f.xs[f.xs.len() - 1]);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("step {}", f.step), (FONT_NAME, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0.0..y_max)
        .map_err(|x| x.to_string())?
        .set_secondary_coord(x0..x1, d_range.0..d_range.1);
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("density")
        .label_style((FONT_NAME, 14))
        .draw()
        .map_err(|x| x.to_string())?;
    chart
        .configure_secondary_axes()
        .y_desc("D(x)")
        .label_style((FONT_NAME, 14))
        .draw()
        .map_err(|x| x.to_string())?;
    let pts = |ys: &[f64]| {
        f.xs.iter()
            .copied()
            .zip(ys.iter().copied())
            .collect::<Vec<_>>()
    };
    let real = RGBColor(230, 120, 20);
    let gen = RGBColor(40, 160, 60);
    let disc = RGBColor(30, 90, 200);
    chart
        .draw_series(LineSeries::new(pts(&f.real_density), real.stroke_width(3)))
        .map_err(|x| x.to_string())?
        .label("real density")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], real.stroke_width(3)));
    chart
        .draw_series(LineSeries::new(pts(&f.gen_density), gen.stroke_width(3)))
        .map_err(|x| x.to_string())?
        .label("generator density")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], gen.stroke_width(3)));
    chart
        .draw_secondary_series(LineSeries::new(pts(&f.d_output), disc.stroke_width(2)))
        .map_err(|x| x.to_string())?
        .label("D(x) (right axis)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], disc.stroke_width(2)));
    chart
        .configure_series_labels()
        .label_font((FONT_NAME, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|x| x.to_string())?;
    Ok(())
}

fn frame_scales(frames: &[DensityFrame]) -> (f64, (f64, f64)) {
    let y_max = frames
        .iter()
        .flat_map(|f| f.real_density.iter().chain(&f.gen_density))
        .fold(0.0f64, |m, &v| if v.is_finite() { m.max(v) } else { m })
        * 1.1;
    let (d0, d1) = padded_range(frames.iter().flat_map(|f| f.d_output.iter().copied()));
    // Probabilities are best read on [0, 1].
    let d_range = if d0 >= -0.06 && d1 <= 1.06 {
        (0.0, 1.0)
    } else {
        (d0, d1)
    };
    (y_max.max(1e-6), d_range)
}

/// Save one density frame as a PNG.
pub fn density_png(path: &Path, frame: &DensityFrame) -> Result<()> {
    register_font();
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
    let (y_max, d_range) = frame_scales(std::slice::from_ref(frame));
    draw_density_frame(&root, frame, y_max, d_range).map_err(plot_err(path))?;
    root.present().map_err(|x| plot_err(path)(x.to_string()))
}

/// Save density frames as an animated GIF (one frame per snapshot).
pub fn density_gif(path: &Path, frames: &[DensityFrame], frame_delay_ms: u32) -> Result<()> {
    register_font();
    if frames.is_empty() {
        return Err(plot_err(path)("no frames to animate".into()));
    }
    let root = BitMapBackend::gif(path, (720, 400), frame_delay_ms)
        .map_err(|x| plot_err(path)(x.to_string()))?
        .into_drawing_area();
    let (y_max, d_range) = frame_scales(frames);
    for f in frames {
        draw_density_frame(&root, f, y_max, d_range).map_err(plot_err(path))?;
        root.present().map_err(|x| plot_err(path)(x.to_string()))?;
    }
    Ok(())
}

/// A histogram of `samples` over `xs` (bin centres, evenly spaced), normalised to a
/// density, so it can be drawn against an analytic density.
pub fn histogram_density(samples: &[f64], xs: &[f64]) -> Vec<f64> {
    if xs.len() < 2 || samples.is_empty() {
        return vec![0.0; xs.len()];
    }
    let width = xs[1] - xs[0];
    let lo = xs[0] - width / 2.0;
    let mut counts = vec![0.0; xs.len()];
    for &s in samples {
        let i = ((s - lo) / width).floor();
        if i >= 0.0 && (i as usize) < xs.len() {
            counts[i as usize] += 1.0;
        }
    }
    let norm = samples.len() as f64 * width;
    counts.iter().map(|c| c / norm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_density_integrates_to_one_inside_range() {
        let xs: Vec<f64> = (0..10).map(|i| i as f64 + 0.5).collect();
        let samples: Vec<f64> = (0..1000).map(|i| (i % 10) as f64 + 0.3).collect();
        let d = histogram_density(&samples, &xs);
        let total: f64 = d.iter().sum::<f64>() * 1.0;
        assert!((total - 1.0).abs() < 1e-12);
        assert!(d.iter().all(|&v| (v - 0.1).abs() < 1e-12));
    }

    #[test]
    fn charts_are_written_as_png_and_gif() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("c.png");
        line_chart(
            &png,
            "t",
            "x",
            "y",
            &[Series::new("a", vec![(0.0, 1.0), (1.0, 2.0)])],
        )
        .unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
        let xs: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
        let frame = |step| DensityFrame {
            step,
            xs: xs.clone(),
            real_density: xs.iter().map(|x| (-x * x).exp()).collect(),
            gen_density: xs.iter().map(|x| (-(x - 1.0) * (x - 1.0)).exp()).collect(),
            d_output: xs.iter().map(|_| 0.5).collect(),
        };
        let gif = dir.path().join("a.gif");
        density_gif(&gif, &[frame(0), frame(10)], 100).unwrap();
        assert_eq!(&std::fs::read(&gif).unwrap()[..3], b"GIF");
        let p2 = dir.path().join("d.png");
        density_png(&p2, &frame(5)).unwrap();
        assert!(p2.exists());
    }

    #[test]
    fn unwritable_path_is_an_error_not_a_panic() {
        let e = line_chart(
            Path::new("/nonexistent-dir/x.png"),
            "t",
            "x",
            "y",
            &[Series::new("a", vec![(0.0, 1.0)])],
        );
        assert!(e.is_err());
    }
}
