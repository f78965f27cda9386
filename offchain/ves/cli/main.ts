console.log("stub", process.argv.slice(2));
