// Preloaded into web mode by figure 5 (node --import): marks, on stderr, when Node had booted
// (this module runs just before the app's entry) and when the app wrote its first stdout line
// (the JSON ready line), both in ms since the process started (performance.timeOrigin).
const boot = performance.now();
const write = process.stdout.write.bind(process.stdout);
let marked = false;
process.stdout.write = (chunk, ...rest) => {
  if (!marked) {
    marked = true;
    const ready = performance.now();
    process.stderr.write(
      `@@ready-mark ${JSON.stringify({ boot: Number(boot.toFixed(2)), ready: Number(ready.toFixed(2)) })}\n`,
    );
  }
  return write(chunk, ...rest);
};
