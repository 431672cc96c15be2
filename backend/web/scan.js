// The scan page: read a QR code with the camera or from a photo, and open the product's GS1 Digital Link.
// The decoder (zxing-wasm, reader build) is served by the platform itself and loaded on first use. This file holds
// no data: the decoder's URLs, the platform's base URL and the messages come from data-* attributes of #scanner.
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) {
    return;
  }
  var status = document.getElementById("status");
  var video = document.getElementById("camera");
  var startButton = document.getElementById("camera-start");
  var stopButton = document.getElementById("camera-stop");
  var photo = document.getElementById("photo");
  var stream = null;
  var timer = null;
  var loading = null;
  var busy = false;
  var READER_OPTIONS = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };
  var DIGITAL_LINK = /\/(01|gtin)\/\d{8,14}(\/|$)/;

  function message(key) {
    return root.getAttribute("data-msg-" + key) || "";
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = kind ? "banner " + kind : "";
  }

  function decoder() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = root.getAttribute("data-decoder");
        script.onload = function () {
          var wasm = root.getAttribute("data-wasm");
          window.ZXingWASM.prepareZXingModule({
            overrides: {
              locateFile: function (path, prefix) {
                return path.slice(-5) === ".wasm" ? wasm : prefix + path;
              },
            },
            fireImmediately: true,
          }).then(function () {
            resolve(window.ZXingWASM);
          }, reject);
        };
        script.onerror = function () {
          reject(new Error(script.src));
        };
        document.head.appendChild(script);
      });
      loading.catch(function (error) {
        loading = null;
        say(message("decoder-failed") + " " + error, "bad");
      });
    }
    return loading;
  }

  // The product page to open for a decoded text, or null: a Digital Link on the platform's domain, or any
  // http(s) GS1 Digital Link (a product code of another resolver is opened there).
  function productLink(text) {
    var url;
    try {
      url = new URL(String(text).trim());
    } catch (error) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return null;
    }
    return DIGITAL_LINK.test(url.pathname) ? url.href : null;
  }

  // What a decoding found: "opened" (a product link: the page goes there), "other" (a code that is not one: said
  // so, not opened) or "none".
  function found(results) {
    var text = results.length ? results[0].text : null;
    if (text === null) {
      return "none";
    }
    var link = productLink(text);
    if (link === null) {
      say(message("not-dl") + " " + text, "warn");
      return "other";
    }
    stopCamera();
    say(message("opening") + " " + link, "ok");
    window.location.assign(link);
    return "opened";
  }

  function stopCamera() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream !== null) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.classList.add("hidden");
    stopButton.classList.add("hidden");
    startButton.classList.remove("hidden");
  }

  function scanFrame(zxing, canvas) {
    if (stream === null) {
      return;
    }
    if (!busy && video.readyState >= 2 && video.videoWidth) {
      busy = true;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      zxing
        .readBarcodes(context.getImageData(0, 0, canvas.width, canvas.height), READER_OPTIONS)
        .then(found, function () {
          return "none";
        })
        .then(function (outcome) {
          busy = false;
          if (outcome !== "opened") {
            timer = window.setTimeout(scanFrame, 250, zxing, canvas);
          }
        });
      return;
    }
    timer = window.setTimeout(scanFrame, 250, zxing, canvas);
  }

  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(message("no-camera"), "warn");
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.classList.remove("hidden");
        startButton.classList.add("hidden");
        stopButton.classList.remove("hidden");
        say(message("scanning"));
        return video.play().then(decoder);
      })
      .then(function (zxing) {
        scanFrame(zxing, document.createElement("canvas"));
      })
      .catch(function () {
        stopCamera();
        say(message("no-camera"), "warn");
      });
  });

  stopButton.addEventListener("click", stopCamera);

  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) {
      return;
    }
    say(message("decoding"));
    decoder()
      .then(function (zxing) {
        return zxing.readBarcodes(file, READER_OPTIONS);
      })
      .then(function (results) {
        if (found(results) === "none") {
          say(message("no-code"), "warn");
        }
      })
      .catch(function () {
        say(message("no-code"), "warn");
      });
  });
})();
