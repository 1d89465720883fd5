// Where a report's thumbnails go: inside the page as data: URIs while the page stays
// a size any browser opens at once, else into a folder beside it; never silently
// a page of hundreds of MB on stdout.
import { INLINE_THUMBNAILS } from '../config/constants.js';
import type { THUMBNAIL_PLACES } from '../config/command-options.js';
import { t } from '../i18n/index.js';
import { UsageError } from '../support/errors.js';
import { thumbnailFolderName } from './thumbnail-folder.js';

export type ThumbnailPlace = (typeof THUMBNAIL_PLACES)[number];

/** Thumbnails one page holds inline: INLINE_THUMBNAILS at 256 px, scaled by area for other sizes. */
export function inlineLimit(thumbSize: number, atDefaultSize = INLINE_THUMBNAILS): number {
  return Math.max(1, Math.floor((atDefaultSize * 256 * 256) / (thumbSize * thumbSize)));
}

export interface PlaceQuestion {
  asked: ThumbnailPlace;
  /** Rows shown. */
  rows: number;
  /** Shown rows that would get a thumbnail. */
  pictured: number;
  thumbSize: number;
  /** The page goes to a regular file (a folder can stand beside it), not stdout, a device or a FIFO. */
  toFile: boolean;
  /** Overrides INLINE_THUMBNAILS (tests). */
  inlineAtDefaultSize?: number;
}

/** 'page' or 'folder'; a UsageError where the answer would be a huge page on stdout or a folder beside no file. */
export function placeThumbnails(q: PlaceQuestion): 'page' | 'folder' {
  if (q.asked === 'folder') {
    if (!q.toFile) throw new UsageError(t('report:place.folderNeedsFile'));
    return 'folder';
  }
  if (q.asked === 'page') return 'page';
  const limit = inlineLimit(q.thumbSize, q.inlineAtDefaultSize);
  if (q.pictured <= limit) return 'page';
  if (q.toFile) return 'folder';
  throw new UsageError(t('report:place.tooMany', {
    rows: q.rows, pictured: q.pictured, limit, size: q.thumbSize, folder: `${thumbnailFolderName('report.html')}/`,
  }));
}
