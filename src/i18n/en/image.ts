// Images: how to read the formats the prebuilt sharp lacks (glm-vision doctor's fixes). A file's own
// decode failure is its row's `error` column, data that stays English (src/image/decode-error.ts).
export default {
  'fix.heic': 'HEIC: convert to JPEG first (heif-convert IN.heic OUT.jpg, or vips copy IN.heic OUT.jpg), or build sharp from source against a globally-installed libvips compiled with libheif, libde265 and x265 (npm install --build-from-source sharp; see {{url}}#building-from-source)',
  'fix.bmp': 'BMP: convert to PNG first (magick mogrify -format png *.bmp), or build sharp from source against a globally-installed libvips with ImageMagick support ({{url}}#custom-libvips)',
};
