import type { Translation } from '../catalogs.js';
import type en from '../en/commander.js';

export default {
  'error.unknownOption': '错误：未知选项“{{option}}”',
  'error.unknownCommand': '错误：未知命令“{{command}}”',
  'error.missingArgument': '错误：缺少必需的参数“{{argument}}”',
  'error.optionMissingArgument': '错误：选项“{{option}}”缺少参数值',
  'error.missingMandatoryOptionValue': '错误：必须指定选项“{{option}}”',
  'error.excessArguments_other': '错误：参数过多：应为 {{count}} 个，实际给了 {{got}} 个。',
  'error.excessArgumentsFor_other': '错误：命令“{{command}}”的参数过多：应为 {{count}} 个，实际给了 {{got}} 个。',
  'error.invalidChoice': '错误：选项“{{option}}”的值“{{value}}”无效。可选值：{{choices}}。',
  'error.didYouMean': '（是不是想用 {{suggestion}}？）',
  'error.didYouMeanOneOf': '（是不是想用以下之一：{{suggestions}}？）',
} satisfies Translation<typeof en>;
