import type { Translation } from '../catalogs.js';
import type en from '../en/xmp.js';

export default {
  'fields.expected': '{{flag}} 应为字段名，但收到的是 {{value}}',
  'fields.unknown': '{{flag}}：编目结果中没有字段 {{field}}（已有字段：{{fields}}）',

  'sidecar.notXml': '{{file}} 不是有效的 XML（{{why}}）；保持原样',
  'sidecar.noRdf': '{{file}} 没有 rdf:RDF 元素，不是 XMP 附属文件；保持原样',
  'sidecar.notRegular': '{{file}} 不是普通文件（设备、FIFO 还是套接字？）；保持原样',
  'sidecar.shared': '{{owner}} 和 {{image}} 会共用同一个 XMP 附属文件 {{sidecar}}；请用 --sidecar-name photo.jpg.xmp',
  'sidecar.noImage': '找不到图片 {{image}}（请在编目时所在的文件夹中运行，或用 --base 指定）',
  'sidecar.cannotRead': '无法读取 {{sidecar}}：{{why}}',
} satisfies Translation<typeof en>;
