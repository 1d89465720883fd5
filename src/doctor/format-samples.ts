// One tiny image per format the walk recognises (8x8, every pixel RGB 128,128,128),
// made with the system libvips 8.14 (x265 for HEIC; BMP written by hand), not
// with sharp: decoding them tests sharp's decoders, not its own round trip.
//   vips black b.v 8 8 --bands 3 && vips linear b.v c.v 1 128 --uchar
//   vips jpegsave c.v s.jpg --Q 90 --strip   (likewise pngsave, webpsave, tiffsave, gifsave,
//   heifsave --compression av1 for AVIF, heifsave --compression hevc for HEIC)

import type { MessageKey } from '../i18n/index.js';

export interface FormatSample {
  name: string;
  /** File extensions (as in walk.ts) whose files this sample stands for. */
  extensions: string[];
  /** Which files fail when it does not decode, where the extensions alone would overstate it. */
  files?: MessageKey;
  /** Decoded by the prebuilt sharp: failing to decode it means a broken install, not a missing option. */
  prebuilt: boolean;
  base64: string;
}

/** Every sample decodes to this colour. */
export const SAMPLE_GREY = 128;
export const SAMPLE_SIZE = 8;

export const FORMAT_SAMPLES: readonly FormatSample[] = [
  {
    name: 'JPEG',
    extensions: ['jpg', 'jpeg'],
    prebuilt: true,
    base64:
      '/9j/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/' +
      '2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAAR' +
      'CAAIAAgDAREAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQID' +
      'AAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNk' +
      'ZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl' +
      '5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC' +
      'AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpj' +
      'ZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk' +
      '5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwAoA//Z',
  },
  {
    name: 'PNG',
    extensions: ['png'],
    prebuilt: true,
    base64:
      'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAD0lEQVQImWNowAEYhpYE' +
      'AILzYAEeEbvlAAAAAElFTkSuQmCC',
  },
  {
    name: 'TIFF',
    extensions: ['tif', 'tiff'],
    prebuilt: true,
    base64:
      'SUkqAMgAAACAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICA' +
      'gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICA' +
      'gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAPAAABAwABAAAACAAAAAEB' +
      'AwABAAAACAAAAAIBAwADAAAAkgEAAAMBAwABAAAAAQAAAAYBAwABAAAAAgAAABEBBAABAAAACAAAABIBAwABAAAAAQAAABUB' +
      'AwABAAAAAwAAABYBAwABAAAAgAAAABcBBAABAAAAwAAAABoBBQABAAAAggEAABsBBQABAAAAigEAABwBAwABAAAAAQAAACgB' +
      'AwABAAAAAwAAAFMBAwADAAAAmAEAAAAAAAAKAAAAAQAAAAoAAAABAAAACAAIAAgAAQABAAEA',
  },
  {
    name: 'WebP',
    extensions: ['webp'],
    prebuilt: true,
    base64:
      'UklGRvgAAABXRUJQVlA4WAoAAAAIAAAABwAABwAAVlA4IBgAAABQAQCdASoIAAgAAgA0JaQABHQAAORAAABFWElGugAAAEV4' +
      'aWYAAElJKgAIAAAABgASAQMAAQAAAAEAAAAaAQUAAQAAAFYAAAAbAQUAAQAAAF4AAAAoAQMAAQAAAAIAAAATAgMAAQAAAAEA' +
      'AABphwQAAQAAAGYAAAAAAAAAOGMAAOgDAAA4YwAA6AMAAAYAAJAHAAQAAAAwMjEwAZEHAAQAAAABAgMAAKAHAAQAAAAwMTAw' +
      'AaADAAEAAAD//wAAAqAEAAEAAAAIAAAAA6AEAAEAAAAIAAAAAAAAAA==',
  },
  {
    name: 'GIF',
    extensions: ['gif'],
    prebuilt: true,
    base64:
      'R0lGODlhCAAIAIAAAEdwTICAgCH/C05FVFNDQVBFMi4wAwEAAAAh+QQFAAAAACwAAAAACAAIAAACB4yPqcvtXQAAOw==',
  },
  {
    name: 'AVIF',
    extensions: ['avif'],
    prebuilt: true,
    base64:
      'AAAAHGZ0eXBhdmlmAAAAAGF2aWZtaWYxbWlhZgAAAOptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAA' +
      'AAAAAA5waXRtAAAAAAABAAAAImlsb2MAAAAAREAAAQABAAAAAAEOAAEAAAAAAAAAFQAAACNpaW5mAAAAAAABAAAAFWluZmUC' +
      'AAAAAAEAAGF2MDEAAAAAamlwcnAAAABLaXBjbwAAABNjb2xybmNseAACAAIABoAAAAAMYXYxQ4EADAAAAAAUaXNwZQAAAAAA' +
      'AAAIAAAACAAAABBwaXhpAAAAAAMICAgAAAAXaXBtYQAAAAAAAAABAAEEgYIDhAAAAB1tZGF0EgAKCBgIv2CBAQNCMgcYAAAA' +
      'UATA',
  },
  {
    name: 'HEIC',
    extensions: ['heic', 'heif'],
    files: 'doctor:formats.files.heic',
    prebuilt: false,
    base64:
      'AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAa1tZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAA' +
      'AAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAAgACAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHRAAEAAAAAAAAAJgACAAEA' +
      'AAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAA' +
      'AADYaXBycAAAALZpcGNvAAAAdmh2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAe' +
      'ugJAIQABACpCAQEDcAAAAwCQAAADAAADAB6gIIEFluqumubgQEDAgAAAAwCAAAADAIQiAAEABkQBwXPBiQAAABRpc3BlAAAA' +
      'AAAAAEAAAABAAAAAFGlzcGUAAAAAAAAACAAAAAgAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QA' +
      'AAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAAC5tZGF0AAAAIigBrxMhHZb4W1MJiOssQLlMWCl5VyCTbsB4rzKHjr2vmmA=',
  },
  {
    name: 'BMP',
    extensions: ['bmp'],
    prebuilt: false,
    base64:
      'Qk32AAAAAAAAADYAAAAoAAAACAAAAAgAAAABABgAAAAAAMAAAAATCwAAEwsAAAAAAAAAAAAAgICAgICAgICAgICAgICAgICA' +
      'gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICA' +
      'gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICA' +
      'gICAgICAgICAgICAgICAgICAgICAgICAgICAgICA',
  },
];
