// Pages of PDFs and multi-page TIFFs: --pages. A document's own failure (encrypted, damaged, over a
// rendering limit) is its row's `error` column, data that stays English (src/pages/).
export default {
  'select.invalid': 'Expected all, first, N, N-M, N- or a comma list of them (pages count from 1) for --pages but received {{value}}',
};
