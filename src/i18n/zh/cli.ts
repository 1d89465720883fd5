import type { Translation } from '../catalogs.js';
import type en from '../en/cli.js';

export default {
  'error.prefix': 'glm-vision: {{message}}',
  'error.stdout': '无法写入标准输出：{{why}}',
  'error.internal': '内部错误：{{message}}（设置 GLM_VISION_DEBUG=1 可查看详情）',
  'help.afterError': '（使用 --help 查看用法）',
} satisfies Translation<typeof en>;
