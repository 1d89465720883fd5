import type { Translation } from '../catalogs.js';
import type en from '../en/report.js';

export default {
  'title': '{{name}} — glm-vision 编目报告',
  'heading': 'glm-vision 编目报告 ·',
  'head.rows_other': '<b>{{count}}</b> 行：{{statuses}}',
  'head.statusCount': '{{status}} {{count}}',
  'head.selection': '从编目结果的 <b>{{total}}</b> 行中按 <b>{{selection}}</b> 选出',
  'head.reviewed': '已审核 {{count}} 行',
  'head.prompts': '提示词 {{list}}',
  'head.models': '模型 {{list}}',
  'head.listMore': '{{list}} 等（另有 {{count}} 个）',
  'head.generated': '生成于 {{time}}',
  'head.base': '图片来自 <b class="file">{{folder}}</b>',
  'list.separator': '、',
  'status.ok': '成功',
  'status.truncated': '被截断',
  'status.error': '出错',
  'filter.label': '筛选条目',
  'filter.status': '状态',
  'filter.all': '全部',
  'filter.image': '图片问题',
  'search.placeholder': '搜索文件名和结果（快捷键 /）',
  'search.label': '搜索文件名和结果',
  'noRows': '没有符合条件的条目。',
  'footer.plain': '由 glm-vision {{version}} 根据 <span class="file">{{catalog}}</span> 生成。本页面不从网络加载任何内容。',
  'footer.thumbnails':
    '由 glm-vision {{version}} 根据 <span class="file">{{catalog}}</span> 生成。缩略图为预览，最长边不超过 {{size}} 像素；点击可放大。' +
    '本页面不从网络加载任何内容。',
  'footer.folder':
    '由 glm-vision {{version}} 根据 <span class="file">{{catalog}}</span> 生成。缩略图为预览，最长边不超过 {{size}} 像素；点击可放大；' +
    '缩略图是本页面旁边文件夹 <span class="file">{{folder}}</span> 中的文件，该文件夹必须与本页面放在一起。本页面不从网络加载任何内容。',
  'thumb.missing': '找不到图片',
  'thumb.missingWhy': '已移动、已删除，或 --base 不对',
  'thumb.noPreview': '无法预览',
  'thumb.changed': '编目后文件已被修改',
  'thumb.changedWhy': '其 SHA-256 与编目结果中记录的不同',
  'thumb.errorRow': '该条目出错',
  'thumb.cannotOpen': '无法打开：{{why}}',
  'row.page': '第 {{page}}/{{pages}} 页',
  'row.pageTitle': '文档中的一页',
  'row.cached': '缓存',
  'row.cachedTitle': '结果来自缓存',
  'row.emptyAnswer': '（空结果）',
  'meta.model': '模型',
  'meta.prompt': '提示词',
  'meta.tokens': 'token',
  'meta.tokensInOut': '输入 {{in}}，输出 {{out}}',
  'meta.latency': '耗时',
  'meta.image': '图片',
  'review.title': '审核',
  'review.accepted': '通过',
  'review.edited': '修改',
  'review.rejected': '驳回',
  'review.by': '审核人 {{reviewer}}',
  'client.shownAll_other': '{{count}} 行',
  'client.shownSome_other': '{{shown}} / {{count}} 行',
  'client.showAll': '展开全部',
  'client.showLess': '收起',

  'refuseCatalog': '拒绝用报告覆盖编目结果 {{catalog}}：请用 -o 指定另一个文件，例如 report.html',
  'place.folderNeedsFile': '--thumbnails-in folder 会把缩略图写在页面旁边：请用 -o FILE 指定一个普通文件',
  'place.tooMany':
    '{{rows}} 行的报告会在标准输出的一个页面中包含 {{pictured}} 张缩略图，超过了 --thumb-size {{size}} 时一个页面能容纳的 {{limit}} 张：' +
    '请用 -o report.html 写入文件（缩略图会放到旁边的 {{folder}}），或用 --only、--limit 减少行数，' +
    '或用 --no-thumbnails 不放图片（--thumbnails-in page 则无论多少都嵌入页面）',
  'folder.marker':
    '这些是 {{page}} 的缩略图，由 glm-vision report 写入。\n页面从这里显示它们：请让此文件夹与页面放在一起（复制或移动时两者一起）。\n' +
    '每次生成新报告都会替换其中的内容。',
  'folder.foreign': '{{page}} 旁边的 {{folder}} 已存在，且不是 glm-vision report 写入的：请把它移走，或用 -o 把页面写到别处',
  'problem.missing': '找不到图片：{{file}}',
  'problem.noPreview': '无法预览 {{file}}：{{why}}',
  'problem.changed': '{{file}} 在编目后已被修改（SHA-256 不同）',
} satisfies Translation<typeof en>;
