import type { Translation } from '../catalogs.js';
import type en from '../en/dryrun.js';

export default {
  'title': '试运行：不发送请求，不写入文件，不改动缓存',
  'files': '  找到文件：{{n}} 个',
  'pages': '  文档页数：{{n}} 页',
  'cached': '  缓存中已有结果：{{n}} 条',
  'failing': '  将会失败：{{n}} 条（无法读取、不是图片，或缓存中记有此前的失败）',
  'requests': '  待发送请求：{{n}} 次',
  'tokens': '  提示词 token：约 {{n}} 个（图片按缩放规则估算，另加提示词文本）',
  'time': '  预计耗时：约 {{duration}}（每次请求 {{seconds}} 秒，依据{{ofJob}}过去 {{runs}} 次运行）',
  'time.ofJob': '本任务',
  'time.none': '  预计耗时：此缓存中没有过去的运行记录，无法估算',
  'duration.s': '{{n}} 秒',
  'duration.min': '{{n}} 分钟',
  'duration.h': '{{h}} 小时 {{min}} 分',
  'model.required': '使用 --endpoint 时必须给出 --model NAME，即服务端提供的模型名称，例如 --model zai-org/GLM-4.6V-Flash',
} satisfies Translation<typeof en>;
