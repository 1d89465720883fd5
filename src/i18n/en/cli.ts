// The command line's own words: what runProgram says when a command cannot finish.
export default {
  'error.prefix': 'glm-vision: {{message}}',
  'error.stdout': 'Cannot write to stdout: {{why}}',
  'error.internal': 'internal error: {{message}} (set GLM_VISION_DEBUG=1 for details)',
  'help.afterError': '(run with --help for usage)',
};
