//! QR codes as PNG, SVG or terminal text.
//!
//! Error correction M: it survives a smudged or glary phone-camera read while keeping an
//! offer link (about 150 characters) at a module size phones scan from a screen.

use qrcode::{EcLevel, QrCode};

pub const DEFAULT_SIZE: u32 = 320;
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 2048;

fn code(data: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(data, EcLevel::M).map_err(|e| e.to_string())
}

/// A PNG of at least `size`×`size` pixels.
pub fn png(data: &str, size: u32) -> Result<Vec<u8>, String> {
    let image = code(data)?
        .render::<image::Luma<u8>>()
        .min_dimensions(size, size)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// An SVG of at least `size`×`size` pixels.
pub fn svg(data: &str, size: u32) -> Result<String, String> {
    Ok(code(data)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(size, size)
        .build())
}

/// The code drawn with Unicode half blocks, for a terminal.
pub fn terminal(data: &str) -> Result<String, String> {
    Ok(code(data)?
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_png_svg_and_terminal() {
        let link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fv.example%2Fe%2Foid4vci%2Foffers%2F0193";
        let png = png(link, 300).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).unwrap();
        assert!(decoded.width() >= 300);
        assert!(svg(link, 300).unwrap().starts_with("<?xml"));
        assert!(terminal(link).unwrap().lines().count() > 10);
    }
}
