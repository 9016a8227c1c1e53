//! A tightly packed 8-bit grayscale image and the cheap transforms the retry strategies use.

/// Row-major 8-bit luma image without row padding (`data.len() == width * height`).
#[derive(Debug, Clone)]
pub(super) struct Gray {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) data: Vec<u8>,
}

impl Gray {
    /// Copies a possibly padded buffer; the caller has validated the geometry.
    pub(super) fn from_strided(luma: &[u8], width: usize, height: usize, stride: usize) -> Self {
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            data.extend_from_slice(&luma[y * stride..y * stride + width]);
        }
        Gray {
            width,
            height,
            data,
        }
    }

    /// The part of the image in `x0..x1` x `y0..y1` (clamped to the image).
    pub(super) fn cropped(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Self {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        let (x0, y0) = (x0.min(x1), y0.min(y1));
        let mut data = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            data.extend_from_slice(&self.data[y * self.width + x0..y * self.width + x1]);
        }
        Gray {
            width: x1 - x0,
            height: y1 - y0,
            data,
        }
    }

    /// Photographic negative, for light codes on a dark background.
    pub(super) fn inverted(&self) -> Self {
        Gray {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&p| 255 - p).collect(),
        }
    }

    /// Half-size image, each pixel the mean of a 2x2 block (odd last row/column dropped).
    pub(super) fn downscaled_2x(&self) -> Self {
        let (w, h) = (self.width / 2, self.height / 2);
        let mut data = Vec::with_capacity(w * h);
        for y in 0..h {
            let r0 = &self.data[2 * y * self.width..];
            let r1 = &self.data[(2 * y + 1) * self.width..];
            for x in 0..w {
                let s = u16::from(r0[2 * x])
                    + u16::from(r0[2 * x + 1])
                    + u16::from(r1[2 * x])
                    + u16::from(r1[2 * x + 1]);
                data.push(((s + 2) / 4) as u8);
            }
        }
        Gray {
            width: w,
            height: h,
            data,
        }
    }

    /// Double-size image by bilinear interpolation, so that small, dense codes get modules of
    /// several pixels for the finder-pattern search.
    pub(super) fn upscaled_2x(&self) -> Self {
        let (sw, sh) = (self.width, self.height);
        let (w, h) = (sw * 2, sh * 2);
        let mut data = vec![0u8; w * h];
        for y in 0..h {
            // Source coordinate of the destination pixel centre, in 1/4 pixel units.
            let fy = (2 * y as isize - 1).max(0) as usize;
            let (y0, wy) = ((fy / 4).min(sh - 1), fy % 4);
            let y1 = (y0 + 1).min(sh - 1);
            for x in 0..w {
                let fx = (2 * x as isize - 1).max(0) as usize;
                let (x0, wx) = ((fx / 4).min(sw - 1), fx % 4);
                let x1 = (x0 + 1).min(sw - 1);
                let p = |yy: usize, xx: usize| u32::from(self.data[yy * sw + xx]);
                let top = p(y0, x0) * (4 - wx as u32) + p(y0, x1) * wx as u32;
                let bottom = p(y1, x0) * (4 - wx as u32) + p(y1, x1) * wx as u32;
                let v = (top * (4 - wy as u32) + bottom * wy as u32 + 8) / 16;
                data[y * w + x] = v as u8;
            }
        }
        Gray {
            width: w,
            height: h,
            data,
        }
    }

    /// 3x3 box blur (edges clamped), to tame sensor noise and JPEG blocking.
    pub(super) fn box_blurred(&self) -> Self {
        let (w, h) = (self.width, self.height);
        // Horizontal pass into u16 sums, then vertical pass.
        let mut horiz = vec![0u16; w * h];
        for y in 0..h {
            let row = &self.data[y * w..(y + 1) * w];
            for x in 0..w {
                let l = row[x.saturating_sub(1)];
                let r = row[(x + 1).min(w - 1)];
                horiz[y * w + x] = u16::from(l) + u16::from(row[x]) + u16::from(r);
            }
        }
        let mut data = vec![0u8; w * h];
        for y in 0..h {
            let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
            for x in 0..w {
                let s = horiz[u * w + x] + horiz[y * w + x] + horiz[d * w + x];
                data[y * w + x] = ((s + 4) / 9) as u8;
            }
        }
        Gray {
            width: w,
            height: h,
            data,
        }
    }

    /// Unsharp mask: 2 * original - 3x3 blur.
    pub(super) fn sharpened(&self) -> Self {
        let b = self.box_blurred();
        let data = self
            .data
            .iter()
            .zip(&b.data)
            .map(|(&o, &bl)| (2 * i32::from(o) - i32::from(bl)).clamp(0, 255) as u8)
            .collect();
        Gray {
            width: self.width,
            height: self.height,
            data,
        }
    }
}
