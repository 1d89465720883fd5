// catalog --dry-run's plan, as a person reads it (--json's keys stay as they are).
export default {
  'title': 'dry run: nothing is sent, written or cached',
  'files': '  files found: {{n}}',
  'pages': '  pages of documents: {{n}}',
  'cached': '  answered by the cache: {{n}}',
  'failing': '  would fail: {{n}} (unreadable, not an image, or a failure the cache remembers)',
  'requests': '  requests to send: {{n}}',
  'tokens': "  prompt tokens: about {{n}} (images by the resize rule, plus the prompt's text)",
  'time': '  time: about {{duration}} ({{seconds}} s a request, from {{runs}} past runs{{ofJob}})',
  'time.ofJob': ' of this job',
  'time.none': '  time: no past runs in this cache to estimate it from',
  'duration.s': '{{n}} s',
  'duration.min': '{{n}} min',
  'duration.h': '{{h}} h {{min}} min',
  'model.required': '--model NAME is required with --endpoint: the model name the server serves, e.g. --model zai-org/GLM-4.6V-Flash',
};
