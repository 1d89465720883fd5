import type { Translation } from '../catalogs.js';
import type en from '../en/image.js';

export default {
  'fix.heic': 'HEIC：先转换为 JPEG（heif-convert IN.heic OUT.jpg，或 vips copy IN.heic OUT.jpg）；或者先在系统中全局安装一个编译时启用了 libheif、libde265 和 x265 的 libvips，再基于它从源码构建 sharp（npm install --build-from-source sharp；参见 {{url}}#building-from-source）',
  'fix.bmp': 'BMP：先转换为 PNG（magick mogrify -format png *.bmp）；或者先在系统中全局安装一个支持 ImageMagick 的 libvips，再基于它从源码构建 sharp（{{url}}#custom-libvips）',
} satisfies Translation<typeof en>;
