import type { Translation } from '../catalogs.js';
import type en from '../en/reviewio.js';

export default {
  'file.notCsv': '{{file}}：不是可读取的 CSV：{{why}}',
  'file.noHeader': '{{file}} 是空的：没有表头行',
  'file.notJson': '{{file}} 第 {{line}} 行：不是 JSON（{{why}}）',
  'file.notObject': '{{file}} 第 {{line}} 行：不是 JSON 对象',
  'file.noSuchFile': '无法读取 {{file}}：文件不存在',
  'file.isFolder': '无法读取 {{file}}：它是一个文件夹',
  'file.cannotRead': '无法读取 {{file}}：{{why}}',
  'file.empty': '{{file}} 是空的',

  'problem.atLine': '第 {{line}} 行：{{problem}}',
  'problem.conflict': '对同一张图片的审核与第 {{line}} 行不同（同一张图片用了两个路径，或同一页出现了两次？）',
  'problem.badTime': 'reviewed_at {{value}} 不是时间（应如 2026-12-02T09:30:00Z）',
  'problem.noJob': '没有任务：请在文件中加 job 列，或使用 --job',
  'problem.jobAmbiguous': '任务 {{job}} 与 {{count}} 个任务匹配；请多输入几位',
  'problem.jobUnknown': '缓存中没有任务 {{job}}（glm-vision cache stats 会列出所有任务）',
  'problem.badSha': 'sha256 {{value}} 不是 SHA-256（64 位十六进制数字）',
  'problem.noImage': '没有 SourceFile、path 或 sha256，无法确定是哪张图片',
  'problem.notIndexed': '缓存的文件索引中没有文件 {{file}}（请给出它的 sha256）',
  'problem.badPage': 'page {{value}} 不是页码（1、2……）',
  'problem.objectForText': '{{column}} 是对象，但该任务的提示词要求以文本回答',
  'problem.list': '{{column}} 是列表，而不是一个结果的各字段（--group-pages 生成的编目结果无法导入）',
  'problem.outputNotJson': 'output 不是字段 {{fields}} 的 JSON（也可以把它们分列给出）',
  'problem.unknownReview': '未知的 review 值 {{review}}（应为 {{expected}} 或留空）',
  'problem.documentNeedsPage': '{{file}} 是文档（PDF 或多页 TIFF）：每条审核都要注明页码（--group-pages 生成的编目结果无法导入）',
  'problem.noAnswer': '缓存中没有任务 {{job}} 对 {{file}} 的结果',
  'problem.noAnswerPage': '缓存中没有任务 {{job}} 对 {{file}} 第 {{page}} 页的结果',
  'problem.editWithoutText': '标为修改，但没有修改后的文字（请填写 {{fields}}）',
  'problem.editSchema': '修改后的字段不符合该任务的结构（JSON Schema）：{{why}}',
  'problem.acceptedChanged': '标为通过，但文字与模型回答不同：要保留改动请写 edited，否则请改回模型的回答',

} satisfies Translation<typeof en>;
