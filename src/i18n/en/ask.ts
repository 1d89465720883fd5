// glm-vision ask, and the everyday messages of issue 19 point 3: prompt names, unreachable
// servers, a missing output folder.
export default {
  'error.folder': 'ask takes one image or PDF, and {{image}} is a folder: catalog a folder with glm-vision catalog',
  'prompt.unknown': 'Unknown prompt "{{name}}". Built-in prompts: {{names}}; or give a template file path.',
  'prompt.didYouMean': 'Unknown prompt "{{name}}". Did you mean "{{guess}}"? Built-in prompts: {{names}}; or give a template file path.',
  'unreachable.all': 'every endpoint is unreachable: {{endpoints}}. {{next}}',
  'unreachable.nextOne': 'Is the server running at {{url}}? Try: glm-vision doctor {{flags}}',
  'unreachable.nextMany': 'Are the servers running at {{urls}}? Try: glm-vision doctor {{flags}}',
  'output.noFolder': 'Cannot write {{file}}: the folder {{dir}} does not exist',
};
