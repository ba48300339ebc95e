// Parses statements with OceanBase's MySQL-mode grammar
// (@oceanbase-odc/ob-parser-js, installed by scripts/test.sh).
// Usage: node grammar.js PARSER_DIR < statements.json
//   Input on stdin: a JSON array of statements. Output on stdout: a JSON
//   array of {"sql": ..., "error": ...} for every statement the grammar rejects.
// Usage: node grammar.js PARSER_DIR --lines
//   One JSON string per input line; one JSON line per statement on stdout:
//   {"error": null} or {"error": "..."} (the parser loads once for a whole
//   test process).
const path = require('path');
const dir = process.argv[2];
const Parser = require(path.join(dir, 'node_modules/@oceanbase-odc/ob-parser-js/lib/parser/obmysql')).default;
const parser = new Parser();
const check = (sql) => {
  const result = parser.parse(sql).result;
  return result && result.error ? String(result.error.message || result.error) : null;
};
if (process.argv[3] === '--lines') {
  const lines = require('readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    process.stdout.write(JSON.stringify({ error: check(JSON.parse(line)) }) + '\n');
  });
} else {
  let input = '';
  process.stdin.on('data', (chunk) => { input += chunk; });
  process.stdin.on('end', () => {
    const rejected = [];
    for (const sql of JSON.parse(input)) {
      const error = check(sql);
      if (error) {
        rejected.push({ sql, error });
      }
    }
    process.stdout.write(JSON.stringify(rejected));
  });
}
