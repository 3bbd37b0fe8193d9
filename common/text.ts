/**
 * Half of a UTF-16 surrogate pair on its own (`"\ud800"` in JSON): not a character. It cannot be
 * written as UTF-8 (SQLite stores replacement characters instead), and strict JSON readers (jq, Go)
 * refuse answers holding it — so both the host's commands and the sandboxes refuse it at the door.
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
