import type { Translation } from '../catalogs.js';
import type en from '../en/ask.js';

export default {
  'error.folder': 'ask 只处理单张图片或单个 PDF，而 {{image}} 是文件夹：整个文件夹请用 glm-vision catalog 编目',
  'prompt.unknown': '未知的提示词“{{name}}”。内置提示词：{{names}}；也可以给出模板文件路径。',
  'prompt.didYouMean': '未知的提示词“{{name}}”。是不是想用“{{guess}}”？内置提示词：{{names}}；也可以给出模板文件路径。',
  'unreachable.all': '所有服务地址都无法连接：{{endpoints}}。{{next}}',
  'unreachable.nextOne': '{{url}} 上的服务端是否已启动？请运行 glm-vision doctor {{flags}} 检查',
  'unreachable.nextMany': '{{urls}} 上的服务端是否已启动？请运行 glm-vision doctor {{flags}} 检查',
  'output.noFolder': '无法写入 {{file}}：文件夹 {{dir}} 不存在',
} satisfies Translation<typeof en>;
