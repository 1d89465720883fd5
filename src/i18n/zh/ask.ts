import type { Translation } from '../catalogs.js';
import type en from '../en/ask.js';

export default {
  'command.description': '对单张图片或单个 PDF 提问，只输出模型回答；后端、缓存、提示词模板和各项设置都与 catalog 相同。',
  'argument.image': '图片文件或 PDF',
  'argument.question': '要问的问题（使用 qa 提示词）；不给问题时，生成图片描述',
  'error.folder': 'ask 只处理单张图片或单个 PDF，而 {{image}} 是文件夹：整个文件夹请用 glm-vision catalog 编目',
  'prompt.unknown': '未知的提示词“{{name}}”。内置提示词：{{names}}；也可以给出模板文件路径。',
  'prompt.didYouMean': '未知的提示词“{{name}}”。您是不是想用“{{guess}}”？内置提示词：{{names}}；也可以给出模板文件路径。',
  'unreachable.all': '所有服务地址都无法连接：{{endpoints}}。{{next}}',
  'unreachable.nextOne': '{{url}} 上的服务是否已启动？可运行 glm-vision doctor {{flags}} 检查',
  'unreachable.nextMany': '{{urls}} 上的服务是否已启动？可运行 glm-vision doctor {{flags}} 检查',
  'output.noFolder': '无法写入 {{file}}：文件夹 {{dir}} 不存在',
} satisfies Translation<typeof en>;
