// `glm-vision report`: the HTML page (every word on it) and the problems found making it. Messages
// with markup (<b>, <span>) are for the page; the values put into them are escaped first.
export default {
  'title': '{{name}} — glm-vision report',
  'heading': 'glm-vision report ·',
  'head.rows_one': '<b>{{count}}</b> row: {{statuses}}',
  'head.rows_other': '<b>{{count}}</b> rows: {{statuses}}',
  'head.statusCount': '{{count}} {{status}}',
  'head.selection': 'of <b>{{total}}</b> in the catalog, chosen by <b>{{selection}}</b>',
  'head.reviewed': '{{count}} reviewed',
  'head.prompts': 'prompt {{list}}',
  'head.models': 'model {{list}}',
  'head.listMore': '{{list}} and {{count}} more',
  'head.generated': 'generated {{time}}',
  'head.base': 'images from <b class="file">{{folder}}</b>',
  'list.separator': ', ',
  'status.ok': 'ok',
  'status.truncated': 'truncated',
  'status.error': 'error',
  'filter.label': 'Filter rows',
  'filter.status': 'Status',
  'filter.all': 'all',
  'filter.image': 'image problems',
  'search.placeholder': 'Search file names and answers  ( / )',
  'search.label': 'Search file names and answers',
  'noRows': 'No rows match.',
  'footer.plain': 'Made by glm-vision {{version}} from <span class="file">{{catalog}}</span>. This page loads nothing from the network.',
  'footer.thumbnails':
    'Made by glm-vision {{version}} from <span class="file">{{catalog}}</span>. Thumbnails are previews at most {{size}} px; click one to enlarge it. ' +
    'This page loads nothing from the network.',
  'footer.folder':
    'Made by glm-vision {{version}} from <span class="file">{{catalog}}</span>. Thumbnails are previews at most {{size}} px; click one to enlarge it; ' +
    'they are files in the folder <span class="file">{{folder}}</span> beside this page, which must stay with it. This page loads nothing from the network.',
  'thumb.missing': 'image not found',
  'thumb.missingWhy': 'moved, deleted, or a wrong --base',
  'thumb.noPreview': 'no preview',
  'thumb.changed': 'file changed since cataloguing',
  'thumb.changedWhy': 'its SHA-256 is not the one in the catalog',
  'thumb.errorRow': 'the row is an error',
  'thumb.cannotOpen': 'cannot open: {{why}}',
  'row.page': 'p. {{page}}/{{pages}}',
  'row.pageTitle': 'page of the document',
  'row.cached': 'cached',
  'row.cachedTitle': 'answered from the cache',
  'row.emptyAnswer': '(empty answer)',
  'meta.model': 'model',
  'meta.prompt': 'prompt',
  'meta.tokens': 'tokens',
  'meta.tokensInOut': '{{in}} in, {{out}} out',
  'meta.latency': 'latency',
  'meta.image': 'image',
  'review.title': 'review',
  'review.accepted': 'accepted',
  'review.edited': 'edited',
  'review.rejected': 'rejected',
  'review.by': 'by {{reviewer}}',
  // The page's script (client.*): filled in the browser.
  'client.shownAll_one': '{{count}} row',
  'client.shownAll_other': '{{count}} rows',
  'client.shownSome_one': '{{shown}} of {{count}} row',
  'client.shownSome_other': '{{shown}} of {{count}} rows',
  'client.showAll': 'show all',
  'client.showLess': 'show less',

  'refuseCatalog': 'Refusing to write the report over the catalog {{catalog}}: give -o another file, e.g. report.html',
  'place.folderNeedsFile': '--thumbnails-in folder writes the thumbnails beside the page: give -o FILE, a regular file',
  'place.tooMany':
    'The report of {{rows}} rows would hold {{pictured}} thumbnails inside one page on stdout, more than the {{limit}} a page holds at --thumb-size {{size}}: ' +
    'write it with -o report.html (the thumbnails then go to {{folder}} beside it), show fewer rows with --only or --limit, ' +
    'or leave the pictures out with --no-thumbnails (--thumbnails-in page embeds them all regardless)',
  'folder.marker':
    'The thumbnails of {{page}}, written by glm-vision report.\nThe page shows them from here: keep this folder beside it (copy or move the two together).\n' +
    'Each new report replaces what is in it.',
  'folder.foreign': '{{folder}} beside {{page}} exists and was not written by glm-vision report: move it away, or write the page elsewhere with -o',
  'problem.missing': 'image not found: {{file}}',
  'problem.noPreview': 'no preview of {{file}}: {{why}}',
  'problem.changed': '{{file}} has changed since it was catalogued (its SHA-256 differs)',
};
