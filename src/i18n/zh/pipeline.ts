import type { Translation } from '../catalogs.js';
import type en from '../en/pipeline.js';

export default {
  'levels.line_other': '{{endpoint}}：最多 {{count}} 个并发请求{{atEnd}}，{{how}}',
  'levels.atEnd': '（结束时为 {{level}} 个）',
  'levels.fromMetrics': '根据服务端的 /metrics 设定',
  'levels.fromRate': '根据每秒返回的结果数设定（服务端没有 /metrics）',
  'levels.cappedFromMetrics': '因出现 429、503 或超时而限制在 {{ceiling}} 个以内，根据服务端的 /metrics 设定',
  'levels.cappedFromRate': '因出现 429、503 或超时而限制在 {{ceiling}} 个以内，根据每秒返回的结果数设定（服务端没有 /metrics）',
  'supply.clientBound_other':
    '瓶颈在客户端：有 {{share}}% 的时间服务端还能接收更多请求，图片却仍在预处理中（{{count}} 个 CPU 核心，约每秒 {{rate}} 张图片）；' +
    '增加 CPU 核心、调小 --max-pixels 或用多台机器分片（--shard）会更快',
  'backfill.start_other':
    '正在为 {{count}} 张由旧版 glm-vision 处理过的图片记录内容标识（仅此一次），这样以后即使向这些图片写入元数据，也不必重新请求',

  'walk.noSuchInput': '文件或文件夹不存在：{{input}}',
  'walk.cannotRead': '无法读取 {{input}}：{{why}}',
  'walk.cannotOpenFolder': '无法打开文件夹 {{dir}}：{{why}}',
  'walk.permissionDenied': '权限不足（{{code}}）',
  'skip.extension': '不是可识别的图片扩展名',
  'skip.symlinkLoop': '符号链接循环',
  'skip.danglingSymlink': '符号链接指向的目标不存在',
  'skip.symlink': '符号链接（如需跟随，请用 --follow-symlinks）',
  'skip.cannotStat': '无法读取文件信息（stat）：{{why}}',
  'skip.folderNameFffd': '文件夹名中含有 U+FFFD（改名后才能编目其中的内容）',
  'skip.folderNameNotUtf8': '文件夹名不是有效的 UTF-8（改名后才能编目其中的内容）',
  'skip.fifo': '是 FIFO（命名管道）',
  'skip.socket': '是套接字（socket）',
  'skip.device': '是设备文件',
  'skip.directory': '是文件夹',
  'skip.notRegular': '不是普通文件',

  'shard.expected': '--shard 应为 i/n（1 ≤ i ≤ n，例如 2/4）或 auto，但收到的是 {{value}}',
  'shardAuto.expectedIndex': '${{name}}（--shard auto）应为非负整数，但收到的是 {{value}}',
  'shardAuto.expectedCount': '${{name}}（--shard auto）应为正整数，但收到的是 {{value}}',
  'shardAuto.noScheduler':
    '--shard auto 没有找到作业调度器：它查找 ${{index}}（Kubernetes Indexed Job，分片数由 ${{shards}} 给出）' +
    '或 ${{id}}（SLURM 作业数组，配合 ${{countVar}} 或 ${{minVar}}/${{maxVar}}），但都没有设置；不在调度器中运行时请用 --shard i/n',
  'shardAuto.k8sNoCount': '--shard auto：${{variable}}={{index}} 指明了是第几个分片，但没有指明共有几个分片：请在 Pod 的环境变量中把 ${{shards}} 设为该 Job 的 completions',
  'shardAuto.k8sOutside': '--shard auto：${{variable}}={{index}} 超出了 ${{shards}}={{count}} 的 {{count}} 个分片（序号 0 到 {{last}}）；请把 ${{shards}} 设为该 Job 的 completions',
  'shardAuto.slurmUneven': '--shard auto：SLURM 作业数组（{{from}}）的任务号不是等间隔的范围；请以范围（可带步长）提交，例如 --array=0-9 或 --array=1-19:2',
  'shardAuto.slurmDisagrees': '--shard auto：${{shards}}={{given}} 与 SLURM 作业数组的 {{count}} 个任务（{{from}}）不一致；请取消设置其中一个',
  'shardAuto.slurmNoCount': '--shard auto：${{variable}}={{id}} 指明了是第几个分片，但没有指明共有几个分片：请设置 ${{shards}}',
  'shardAuto.slurmOutsideArray': '--shard auto：${{variable}}={{id}} 超出了 SLURM 作业数组的 {{count}} 个分片（任务号 {{min}} 到 {{last}}；{{from}}）',
  'shardAuto.slurmOutsideArrayStep': '--shard auto：${{variable}}={{id}} 超出了 SLURM 作业数组的 {{count}} 个分片（任务号 {{min}} 到 {{last}}，步长 {{step}}；{{from}}）',
  'shardAuto.slurmOutside': '--shard auto：${{variable}}={{id}} 超出了 ${{shards}}={{count}} 的 {{count}} 个分片（任务号 {{min}} 到 {{last}}；{{from}}）',
  'shardAuto.slurmOutsideStep': '--shard auto：${{variable}}={{id}} 超出了 ${{shards}}={{count}} 的 {{count}} 个分片（任务号 {{min}} 到 {{last}}，步长 {{step}}；{{from}}）',

  'answer.notJson': '模型回答不是 JSON：{{preview}}',
  'answer.invalidJson': '模型回答不是有效的 JSON（{{why}}）：{{preview}}',
  'answer.notObject': '模型回答不是 JSON 对象：{{preview}}',
  'answer.schema': '模型回答不符合结构（JSON Schema）：{{problems}}',
} satisfies Translation<typeof en>;
