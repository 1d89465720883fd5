// Files whose user-facing text is still written in English in the code (see test/tools/i18n-scan.ts),
// with how many places. test/i18n.test.ts fails when a file has more than listed here or when a
// count here is higher than the file's real one: the list only shrinks, to nothing.
export const PENDING: Readonly<Record<string, number>> = {
};
