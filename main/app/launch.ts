// `npm start`: runs the Electron shell when its runtime is installed, web mode otherwise.
console.log('launcher placeholder');
