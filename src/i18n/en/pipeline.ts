// A catalog run's own words: the summary at its end, its warnings, the walk's skips, --shard.
export default {
  'levels.line_one': '{{endpoint}}: up to {{count}} request in flight{{atEnd}}, {{how}}',
  'levels.line_other': '{{endpoint}}: up to {{count}} requests in flight{{atEnd}}, {{how}}',
  'levels.atEnd': ' ({{level}} at the end)',
  'levels.fromMetrics': 'set from its /metrics',
  'levels.fromRate': 'set from answers per second (no /metrics)',
  'levels.cappedFromMetrics': 'capped at {{ceiling}} after 429, 503 or timeouts, set from its /metrics',
  'levels.cappedFromRate': 'capped at {{ceiling}} after 429, 503 or timeouts, set from answers per second (no /metrics)',
  'supply.clientBound_one':
    'the client was the bottleneck: the server had room for more requests {{share}}% of the time while images were still being prepared ' +
    '(about {{rate}} images/s on {{count}} core); more cores, a smaller --max-pixels or several machines (--shard) would go faster',
  'supply.clientBound_other':
    'the client was the bottleneck: the server had room for more requests {{share}}% of the time while images were still being prepared ' +
    '(about {{rate}} images/s on {{count}} cores); more cores, a smaller --max-pixels or several machines (--shard) would go faster',
  'backfill.start_one':
    'recording the content identity of {{count}} image answered by an older glm-vision (once), so that metadata written into them later costs no request',
  'backfill.start_other':
    'recording the content identity of {{count}} images answered by an older glm-vision (once), so that metadata written into them later costs no request',

  'walk.noSuchInput': 'No such file or folder: {{input}}',
  'walk.cannotRead': 'Cannot read {{input}}: {{why}}',
  'walk.cannotOpenFolder': 'Cannot open the folder {{dir}}: {{why}}',
  'walk.permissionDenied': 'permission denied ({{code}})',
  'skip.extension': 'not a recognised image extension',
  'skip.symlinkLoop': 'symlink loop',
  'skip.danglingSymlink': 'dangling symlink',
  'skip.symlink': 'symlink (use --follow-symlinks)',
  'skip.cannotStat': 'cannot stat: {{why}}',
  'skip.folderNameFffd': 'a folder whose name contains U+FFFD (rename it to catalog what is inside)',
  'skip.folderNameNotUtf8': 'a folder whose name is not valid UTF-8 (rename it to catalog what is inside)',
  'skip.fifo': 'a FIFO',
  'skip.socket': 'a socket',
  'skip.device': 'a device file',
  'skip.directory': 'a directory',
  'skip.notRegular': 'not a regular file',

  'shard.expected': 'Expected i/n with 1 ≤ i ≤ n (e.g. 2/4), or auto, for --shard but received {{value}}',
  'shardAuto.expectedIndex': 'Expected non-negative integer for ${{name}} (--shard auto) but received {{value}}',
  'shardAuto.expectedCount': 'Expected positive integer for ${{name}} (--shard auto) but received {{value}}',
  'shardAuto.noScheduler':
    '--shard auto found no scheduler: it looks for ${{index}} (a Kubernetes Indexed Job, with ${{shards}} for the number of parts) ' +
    'or ${{id}} (a SLURM job array, with ${{countVar}} or ${{minVar}}/${{maxVar}}), and none is set; outside a scheduler give --shard i/n',
  'shardAuto.k8sNoCount': "--shard auto: ${{variable}}={{index}} says which part, but not how many there are: set ${{shards}} to the Job's completions in the pod's env",
  'shardAuto.k8sOutside': "--shard auto: ${{variable}}={{index}} is outside the {{count}} parts of ${{shards}}={{count}} (indexes 0 to {{last}}); set ${{shards}} to the Job's completions",
  'shardAuto.slurmUneven': '--shard auto: the SLURM array ({{from}}) is not an evenly spaced range of ids; submit it as a range with an optional step, e.g. --array=0-9 or --array=1-19:2',
  'shardAuto.slurmDisagrees': '--shard auto: ${{shards}}={{given}} disagrees with the {{count}} tasks of the SLURM array ({{from}}); unset one',
  'shardAuto.slurmNoCount': '--shard auto: ${{variable}}={{id}} says which part, but not how many there are: set ${{shards}}',
  'shardAuto.slurmOutsideArray': '--shard auto: ${{variable}}={{id}} is outside the {{count}} parts of the SLURM array (ids {{min}} to {{last}}; {{from}})',
  'shardAuto.slurmOutsideArrayStep': '--shard auto: ${{variable}}={{id}} is outside the {{count}} parts of the SLURM array (ids {{min}} to {{last}} in steps of {{step}}; {{from}})',
  'shardAuto.slurmOutside': '--shard auto: ${{variable}}={{id}} is outside the {{count}} parts of ${{shards}}={{count}} (ids {{min}} to {{last}}; {{from}})',
  'shardAuto.slurmOutsideStep': '--shard auto: ${{variable}}={{id}} is outside the {{count}} parts of ${{shards}}={{count}} (ids {{min}} to {{last}} in steps of {{step}}; {{from}})',

  // A row's `error` column (data: always taken in English, see parse.ts).
  'answer.notJson': 'the answer is not JSON: {{preview}}',
  'answer.invalidJson': 'the answer is not valid JSON ({{why}}): {{preview}}',
  'answer.notObject': 'the answer is not a JSON object: {{preview}}',
  'answer.schema': 'the answer does not match the schema: {{problems}}',
};
