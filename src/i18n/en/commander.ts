// commander's own words (the library that parses the command line), as commander writes them in
// English: --help's headings and extras, and its errors (src/cli/commander-words.ts).
export default {
  // By CommanderError code.
  'error.unknownOption': "error: unknown option '{{option}}'",
  'error.unknownCommand': "error: unknown command '{{command}}'",
  'error.missingArgument': "error: missing required argument '{{argument}}'",
  'error.optionMissingArgument': "error: option '{{option}}' argument missing",
  'error.missingMandatoryOptionValue': "error: required option '{{option}}' not specified",
  'error.excessArguments_one': 'error: too many arguments. Expected {{count}} argument but got {{got}}.',
  'error.excessArguments_other': 'error: too many arguments. Expected {{count}} arguments but got {{got}}.',
  'error.excessArgumentsFor_one': "error: too many arguments for '{{command}}'. Expected {{count}} argument but got {{got}}.",
  'error.excessArgumentsFor_other': "error: too many arguments for '{{command}}'. Expected {{count}} arguments but got {{got}}.",
  'error.invalidChoice': "error: option '{{option}}' argument '{{value}}' is invalid. Allowed choices are {{choices}}.",
  'error.didYouMean': '(Did you mean {{suggestion}}?)',
  'error.didYouMeanOneOf': '(Did you mean one of {{suggestions}}?)',
};
