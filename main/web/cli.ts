// `npm run web`: the host in plain Node serving the renderer and the bridge (filled in by the host work).
console.log('web placeholder');
