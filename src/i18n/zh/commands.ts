// --help 里关于各命令的文字（简体中文）,键与 en/commands.ts 相同。
export default {
  help: {
    usage: '用法：',
    arguments: '参数：',
    options: '选项：',
    commands: '命令：',
    default: '默认：{{value}}',
    choices: '可选值：{{values}}',
    /** After an option's help: its default and choices. */
    extras: '（{{extras}}）',
    helpOption: '显示命令的帮助',
    helpCommand: '显示命令的帮助',
    version: '显示版本号',
    examples: '示例：',
    exitCodes: '退出码：',
    afterError: '（加 --help 查看用法）',
  },
  groups: {
    inputs: '输入：',
    model: '模型与服务端：',
    prompt: '提示词：',
    images: '图片：',
    documents: '文档（PDF、多页 TIFF）：',
    output: '输出：',
    cache: '缓存：',
    run: '运行控制：',
  },
  'glm-vision': {
    description: '用视觉语言模型（GLM-4.6V-Flash 等）为成批的扫描件和照片编目。',
  },
  catalog: {
    description: '描述给定文件和文件夹下的每张图片；每个文件写一行编目记录。',
    paths: '图片文件和文件夹（递归遍历）',
    examples: [
      '# 使用 vLLM 或 SGLang 服务：每张照片一行 CSV，写入 photos.csv',
      'glm-vision catalog ./photos -o photos.csv \\',
      '  --endpoint http://localhost:8000/v1 --model zai-org/GLM-4.6V-Flash',
      '# 不用服务端：使用本地模型（首次运行时从 Hub 下载）',
      'glm-vision catalog ./photos -o photos.jsonl',
      '# 每个 PDF 第一页的文字，用中文提示词，输出到标准输出',
      'glm-vision catalog ./letters -p ocr --pages first --lang zh > letters.jsonl',
      '# 只处理上次运行以来改动过的文件（由 find 列出）',
      'find /archive -newer last-run -print0 |',
      '  glm-vision catalog --files-from - -o new.csv',
      '# 每晚由 cron 运行：安静模式，上一次还没跑完就不再启动第二个',
      'glm-vision catalog /srv/archive -q --lock skip -o /srv/catalog.csv',
    ].join('\n'),
  },
  exitCodes: {
    catalog: {
      0: '所有文件成功或取自缓存',
      1: '运行结束，但有些行失败或在 --max-tokens 处被截断（见 status 和 error 列），或输入下的某个文件夹无法读取（汇总中列出）',
      2: '用法或配置错误；服务端说模型名、URL、某个参数或 API 密钥不对时也是（遇到第一个这样的回答即停止）',
      66: '没有输入：路径不存在或无法打开，或其中没有图片或 PDF（见 --allow-empty）',
      70: '内部错误（程序缺陷：请附上 GLM_VISION_DEBUG=1 的输出报告）',
      74: '编目表无法写入（-o 路径不可写、磁盘已满）；已完成的结果保存在缓存中',
      75: '临时故障使运行停止（所有服务端点或模型仓库都连不上，或 --lock skip 时缓存正被占用）；cron 可稍后重试',
      130: '被 SIGINT/SIGTERM 中断：已完成的回答保存在缓存中，已有的 -o 文件保持不变（下次运行几秒内就能从缓存写出整个编目表）',
    },
    doctor: {
      0: '没有检查失败（允许有警告）',
      1: '至少一项检查失败（每条失败都写明了怎么修）',
      2: '用法错误（--endpoint URL 或 --timeout 不对）',
    },
    batch: {
      0: '完成：export 写出了文件（或没有要写的），import 存入或跳过了每一行，fetch 导入了每个已完成的批次且没有仍在运行的',
      1: '有文件或页面无法导出，有结果行什么也没存入（每个都以 FILE:LINE 列出），或取回的批次失败、过期或被取消',
      2: '用法错误，或批处理服务拒绝了请求（API 密钥、路径、文件）',
      66: '没有输入：路径或结果文件不存在，或输入中没有图片或 PDF',
      74: '请求文件无法写入（原有文件保持不变）',
      75: '连不上批处理服务或服务出错（429、5xx），或 fetch 发现还有批次在运行：稍后再运行一次',
      130: '被中断：没有写出请求文件',
    },
  },
  config: {
    description: '打印使用相同选项的 catalog 运行会用到的设置，以及每项的来源：命令行选项、环境变量、配置文件或默认值。',
    paths: '忽略；这样在任何命令行里都可以用 config 代替 catalog',
    after: [
      '优先级：命令行选项，其次环境变量，再次配置文件，最后默认值。',
      '配置文件：--config FILE，否则 $GLM_VISION_CONFIG，否则当前或上级文件夹中最近的 {{file}}（--no-config：不读取）。其中的键就是长选项名：',
      '  { "endpoint": ["http://gpu1:8000/v1"], "model": "zai-org/GLM-4.6V-Flash" }',
      '环境变量：GLM_VISION_<KEY>，大写并用 _ 连接（GLM_VISION_MAX_PIXELS=1003520）;API 密钥也可取自 $OPENAI_API_KEY 或 $ZHIPUAI_API_KEY。',
    ].join('\n'),
  },
  report: {
    description: '把编目表做成一个 HTML 页面：每条回答旁配缩略图（编目表很大时放在页面旁的文件夹里），可按状态筛选、全文搜索。',
    catalog: 'catalog 写出的编目表文件（JSONL 或 CSV）',
  },
  xmp: {
    description: '把编目表中的回答写成 XMP 元数据（描述、标题、关键词），写入附属文件（sidecar）或供 exiftool 使用的 CSV；从不修改图片本身。',
    catalog: 'glm-vision catalog 写出的编目表（.jsonl 或 .csv）',
  },
  prompts: {
    description: '列出和打印提示词模板。',
  },
  'prompts list': {
    description: '列出内置提示词模板',
  },
  'prompts show': {
    description: '打印一个模板（内置名称或文件）',
  },
  models: {
    description: '本地引擎的模型，存放在共享的 Hugging Face 缓存中（$HF_HUB_CACHE）。',
    id: 'org/name 或 org/name@revision',
  },
  'models list': {
    description: '列出 Hugging Face 缓存中的模型，包括大小、引用和完整的精度（dtype）',
  },
  'models pull': {
    description: '从 Hub（$HF_ENDPOINT）下载模型到缓存；打印其所在文件夹',
  },
  'models info': {
    description: '缓存中有某个模型的哪些内容，以及 Hub 上各精度（dtype）的下载大小',
  },
  'models rm': {
    description: '从 Hugging Face 缓存中删除一个模型（所有版本）',
    id: 'org/name',
  },
  cache: {
    description: '查看和维护缓存数据库：stats、export、prune、vacuum、merge。',
  },
  'cache stats': {
    description: '缓存里有什么：大小、文件、图片，按任务、模型和状态统计的结果，最近几次运行',
  },
  'cache export': {
    description: '以 JSONL 导出每条缓存的回答，附图片哈希、任务、模型以及它对应的各个路径',
  },
  'cache prune': {
    description: '删除过旧或不再使用的回答，或已不存在的文件的回答',
  },
  'cache vacuum': {
    description: '清空 WAL 并重建数据库文件，归还已删除行占用的空间',
  },
  'cache merge': {
    description: '把其他缓存的回答（如其他机器上 catalog --shard 的结果）加入这个缓存；其他缓存只读不改',
    other: '要合并进来的缓存文件',
  },
  review: {
    description: '在本机网页上审核回答：逐条采纳、修改或驳回；审核结果保存在缓存中，之后的 catalog 运行会保留。另有：review import、review export。',
    catalogs: 'catalog 写出的编目表（JSONL 或 CSV）；不给：缓存中某个任务的行（--job）',
  },
  'review import': {
    description: '导入在别处做的审核结果（在电子表格中改过的编目表、review export 的输出）：要么全部导入，要么一条不导',
    file: '每行带 review 列，以及 SourceFile 或 sha256（+ page）的 CSV 或 JSONL 文件',
  },
  'review export': {
    description: '把缓存中的审核结果写成 CSV 或 JSONL，格式与 review import 读取的相同',
  },
  batch: {
    description: '通过离线批处理编目：把缓存中缺的请求写成 OpenAI 批处理文件，或提交给 /files + /batches 服务，再把结果导入缓存。',
    paths: '图片文件和文件夹，同 catalog',
  },
  'batch export': {
    description: '为缓存中还没有回答的每张图片或每一页写一行请求（选项与 catalog 相同）',
  },
  'batch import': {
    description: '把结果文件（vllm run-batch 的输出、批处理服务的输出和错误文件）中的回答存入缓存',
    results: '结果文件（JSONL，每行一个结果）',
  },
  'batch submit': {
    description: '导出缓存中缺的请求并交给 /files + /batches 服务（--endpoint）；已在待处理批次中的请求不再提交',
  },
  'batch status': {
    description: '从这个缓存提交的每个批次，以及服务端现在报告的状态',
  },
  'batch fetch': {
    description: '下载已完成批次的结果并导入缓存',
  },
  doctor: {
    description: '在编目运行前检查本机（Node、图片解码器、ONNX Runtime、缓存、服务端点、模型）；对每个问题给出修复方法。',
  },
};
