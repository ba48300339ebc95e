// Parses statements with OceanBase's MySQL-mode grammar
// (@oceanbase-odc/ob-parser-js, installed by scripts/test.sh).
// Input on stdin: a JSON array of statements. Output on stdout: a JSON array
// of {"sql": ..., "error": ...} for every statement the grammar rejects.
// Usage: node grammar.js PARSER_DIR < statements.json
const path = require('path');
const dir = process.argv[2];
const Parser = require(path.join(dir, 'node_modules/@oceanbase-odc/ob-parser-js/lib/parser/obmysql')).default;
const parser = new Parser();
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const rejected = [];
  for (const sql of JSON.parse(input)) {
    const result = parser.parse(sql).result;
    if (result && result.error) {
      rejected.push({ sql, error: String(result.error.message || result.error) });
    }
  }
  process.stdout.write(JSON.stringify(rejected));
});
