import type { Translation } from '../catalogs.js';
import type en from '../en/pages.js';

export default {
  'select.invalid': '--pages 应为 all、first、N、N-M、N- 或它们以逗号分隔的列表（页码从 1 开始），但收到的是 {{value}}',
} satisfies Translation<typeof en>;
