// What --help says about each command: its description, its arguments, the text after its options
// (examples, exit codes), commander's own headings, and catalog's option group headings. Keyed by
// command name ("cache stats"); zh/commands.ts has the same keys.
export default {
  help: {
    usage: 'Usage:',
    arguments: 'Arguments:',
    options: 'Options:',
    commands: 'Commands:',
    default: 'default: {{value}}',
    choices: 'choices: {{values}}',
    /** After an option's help: its default and choices. */
    extras: ' ({{extras}})',
    helpOption: 'display help for command',
    helpCommand: 'display help for command',
    version: 'output the version number',
    examples: 'Examples:',
    exitCodes: 'Exit codes:',
    afterError: '(run with --help for usage)',
  },
  groups: {
    inputs: 'Inputs:',
    model: 'Model and server:',
    prompt: 'Prompt:',
    images: 'Images:',
    documents: 'Documents (PDFs, multi-page TIFFs):',
    output: 'Output:',
    cache: 'Cache:',
    run: 'Run control:',
  },
  'glm-vision': {
    description: 'Catalog folders of scans and photos with a vision-language model (GLM-4.6V-Flash and friends).',
  },
  catalog: {
    description: 'Describe every image under the given files and folders; write one catalog row per file.',
    paths: 'image files and folders (walked recursively)',
    examples: [
      '# a vLLM or SGLang server: every photo, one CSV row each, in photos.csv',
      'glm-vision catalog ./photos -o photos.csv \\',
      '  --endpoint http://localhost:8000/v1 --model zai-org/GLM-4.6V-Flash',
      '# no server: the local model (downloaded from the Hub on the first run)',
      'glm-vision catalog ./photos -o photos.jsonl',
      '# the text of the first page of every PDF, in Chinese, on stdout',
      'glm-vision catalog ./letters -p ocr --pages first --lang zh > letters.jsonl',
      '# only the files changed since the last run, as find lists them',
      'find /archive -newer last-run -print0 |',
      '  glm-vision catalog --files-from - -o new.csv',
      '# nightly from cron: quiet, and no second run while one is still going',
      'glm-vision catalog /srv/archive -q --lock skip -o /srv/catalog.csv',
    ].join('\n'),
  },
  exitCodes: {
    catalog: {
      0: 'every file ok or cached',
      1: 'the run finished but some rows failed or were cut off at --max-tokens (see the status and error columns), or a folder below an input could not be read (listed in the summary)',
      2: 'usage or configuration error, also when the server says the model name, URL, a parameter or the API key is wrong (the run stops at the first such answer)',
      66: 'no input: a path is missing or cannot be opened, or holds no image or PDF (--allow-empty)',
      70: 'internal error (a bug: please report it with GLM_VISION_DEBUG=1 output)',
      74: 'the catalog could not be written (-o path unwritable, disk full); the cache keeps finished results',
      75: 'a temporary failure stopped the run (every endpoint or the model hub unreachable, cache in use with --lock skip); cron may retry',
      130: 'interrupted by SIGINT/SIGTERM: finished answers are saved in the cache, an existing -o file is left as it was (the next run writes the whole catalog from the cache in seconds)',
    },
    doctor: {
      0: 'no check failed (warnings allowed)',
      1: 'at least one check failed (each failed line says how to fix it)',
      2: 'usage error (bad --endpoint URL or --timeout)',
    },
    batch: {
      0: 'done: export wrote its files (or had nothing to write), import stored or skipped every line, fetch imported every finished batch and none is still running',
      1: 'some files or pages could not be exported, some result lines stored nothing (each is listed with FILE:LINE), or a fetched batch failed, expired or was cancelled',
      2: 'usage error, or the batch service refused a request (API key, path, file)',
      66: 'no input: a path or result file is missing, or the inputs hold no image or PDF',
      74: 'a request file could not be written (the files there were are left as they were)',
      75: 'the batch service could not be reached or had trouble (429, 5xx), or fetch found batches still running: run it again later',
      130: 'interrupted: no request file was written',
    },
  },
  config: {
    description: 'Print the settings a catalog run with the same options would use, and where each comes from: flag, environment, config file or default.',
    paths: 'ignored, so that config can stand in for catalog in any command line',
    after: [
      'Precedence: command-line flags, then environment variables, then the config file, then defaults.',
      'The config file: --config FILE, else $GLM_VISION_CONFIG, else the nearest {{file}} in the current folder or above it (--no-config: none). Its keys are the long flag names:',
      '  { "endpoint": ["http://gpu1:8000/v1"], "model": "zai-org/GLM-4.6V-Flash" }',
      'Environment: GLM_VISION_<KEY>, upper case with _ (GLM_VISION_MAX_PIXELS=1003520); the API key also from $OPENAI_API_KEY or $ZHIPUAI_API_KEY.',
    ].join('\n'),
  },
  report: {
    description: 'Make one HTML page from a catalog: a thumbnail beside each answer (for a big catalog, in a folder beside the page), filters by status, text search.',
    catalog: 'a catalog file written by catalog (JSONL or CSV)',
  },
  xmp: {
    description: "Write a catalog's answers as XMP metadata (description, title, keywords) in sidecar files, or as a CSV for exiftool; images are never modified.",
    catalog: 'a catalog written by glm-vision catalog (.jsonl or .csv)',
  },
  prompts: {
    description: 'List and print prompt templates.',
  },
  'prompts list': {
    description: 'list the built-in prompt templates',
  },
  'prompts show': {
    description: 'print a template (built-in name or file)',
  },
  models: {
    description: "The local engine's models, in the shared Hugging Face cache ($HF_HUB_CACHE).",
    id: 'org/name or org/name@revision',
  },
  'models list': {
    description: 'list the models in the Hugging Face cache, with size, refs and complete dtypes',
  },
  'models pull': {
    description: 'download a model from the Hub ($HF_ENDPOINT) into the cache; prints its folder',
  },
  'models info': {
    description: "what the cache has of a model, and the Hub's download size for each dtype",
  },
  'models rm': {
    description: 'delete a model (every revision) from the Hugging Face cache',
    id: 'org/name',
  },
  cache: {
    description: 'Inspect and maintain the cache database: stats, export, prune, vacuum, merge.',
  },
  'cache stats': {
    description: 'what the cache holds: size, files, images, results by job, model and status, last runs',
  },
  'cache export': {
    description: 'every cached answer as JSONL, with its image hash, job, model and the paths it is known by',
  },
  'cache prune': {
    description: 'remove old or unused answers, or those of files that are gone',
  },
  'cache vacuum': {
    description: 'empty the WAL and rebuild the database file, giving the space of removed rows back',
  },
  'cache merge': {
    description: "add other caches' answers (e.g. from catalog --shard on other machines) to this one; the others are only read",
    other: 'cache files to merge in',
  },
  review: {
    description: 'Review answers on a local web page: accept, edit or reject each; decisions are saved in the cache and kept by later catalog runs. Also: review import, review export.',
    catalogs: 'catalogs written by catalog (JSONL or CSV); none: the rows of a cache job (--job)',
  },
  'review import': {
    description: 'record decisions made elsewhere (a spreadsheet edit of a catalog, a review export): all or none',
    file: 'a CSV or JSONL file with review, and SourceFile or sha256 (+ page), per row',
  },
  'review export': {
    description: "write the cache's decisions as CSV or JSONL, in the form review import reads",
  },
  batch: {
    description: "Catalog through offline batches: write the cache's missing requests as OpenAI batch files, or submit them to a /files + /batches service, and import the results into the cache.",
    paths: 'image files and folders, as for catalog',
  },
  'batch export': {
    description: 'write a request line for every image or page the cache does not answer (the same flags as catalog)',
  },
  'batch import': {
    description: "store the answers of result files (vllm run-batch's output, a batch service's output and error files) in the cache",
    results: 'result files (JSONL, one result per line)',
  },
  'batch submit': {
    description: "export the cache's missing requests and hand them to a /files + /batches service (--endpoint); leaves out requests already in a pending batch",
  },
  'batch status': {
    description: 'every batch submitted from this cache, as its service reports it now',
  },
  'batch fetch': {
    description: 'download the results of finished batches and import them into the cache',
  },
  doctor: {
    description: 'Check this machine before a catalog run (Node, image decoders, ONNX Runtime, cache, endpoints, model); print a fix for each problem.',
  },
};
