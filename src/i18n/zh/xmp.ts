import type { Translation } from '../catalogs.js';
import type en from '../en/xmp.js';

export default {
  'line': 'glm-vision: xmp: {{line}}',
  'usage.what': '请指明要写什么：--sidecars（图像旁的 XMP 附属文件）或 --csv（供 exiftool -csv= 使用）',
  'usage.output': '-o 只用于 --csv；XMP 附属文件（sidecar）总是写在图像旁边',
  'fields.expected': '{{flag}} 应为字段名，但收到的是 {{value}}',
  'fields.unknown': '{{flag}}：编目结果中没有字段 {{field}}（已有字段：{{fields}}）',

  'csv.done_other': '供 exiftool 使用的 {{count}} 行（{{nothing}} 行没有可写的内容）',
  'csv.doneRejected_other': '供 exiftool 使用的 {{count}} 行（{{nothing}} 行没有可写的内容，其中 {{rejected}} 行被审核人驳回）',

  'summary.sidecars_other': '新建 {{count}} 个 XMP 附属文件，合并 {{merged}} 个，{{unchanged}} 个未变',
  'summary.sidecarsDry_other': '将新建 {{count}} 个 XMP 附属文件，将合并 {{merged}} 个，{{unchanged}} 个未变',
  'summary.kept': '保留了他人写入的 {{fields}}（--overwrite 会替换它们）',
  'summary.keptTitle_other': '{{count}} 个标题',
  'summary.keptDescription_other': '{{count}} 条描述',
  'summary.keptNote_other': '{{count}} 条备注',
  'summary.separator': '、',
  'summary.skipped': '跳过了没有结果可写的行：{{rows}}',
  'summary.skippedError': '出错 {{count}} 行',
  'summary.skippedTruncated': '被截断 {{count}} 行',
  'summary.skippedEmpty': '为空 {{count}} 行',
  'summary.skippedRejected': '被驳回 {{count}} 行',
  'summary.withdrawn_other': '已从 {{count}} 个被驳回结果的 XMP 附属文件中删去我们先前写入的文字',
  'summary.withdrawnDry_other': '将从 {{count}} 个被驳回结果的 XMP 附属文件中删去我们先前写入的文字',
  'summary.failed_other': '{{count}} 个文件失败：',

  'sidecar.notXml': '{{file}} 不是有效的 XML（{{why}}）；保持原样',
  'sidecar.noRdf': '{{file}} 没有 rdf:RDF 元素，不是 XMP 附属文件；保持原样',
  'sidecar.notRegular': '{{file}} 不是普通文件（设备、FIFO 还是套接字？）；未做改动',
  'sidecar.shared': '{{owner}} 和 {{image}} 会共用同一个 XMP 附属文件 {{sidecar}}；请用 --sidecar-name photo.jpg.xmp',
  'sidecar.noImage': '在 {{image}} 找不到图像（请在编目时所在的文件夹中运行，或用 --base 指定）',
  'sidecar.cannotRead': '无法读取 {{sidecar}}：{{why}}',
} satisfies Translation<typeof en>;
