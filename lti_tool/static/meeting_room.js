// The meeting room page: the video (Jitsi's iframe API, a BigBlueButton join frame, or a link out)
// and Ritmo's own record of who is here: a heartbeat every few seconds while the page is open.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room || !window.Ritmo) return;
  var d = room.dataset;
  var video = document.getElementById("video");
  var list = document.getElementById("present");
  var status = document.getElementById("room-status");
  var ALLOW = "camera; microphone; fullscreen; display-capture; autoplay";

  function frame(src) {
    var iframe = document.createElement("iframe");
    iframe.src = src;
    iframe.allow = ALLOW;
    iframe.allowFullscreen = true;
    iframe.title = document.title;
    video.appendChild(iframe);
  }

  if (d.kind === "jitsi" && window.JitsiMeetExternalAPI) {
    var api = new window.JitsiMeetExternalAPI(d.domain, {
      roomName: d.room, parentNode: video, width: "100%", height: "100%",
      userInfo: {displayName: d.name}
    });
    var made = api.getIFrame && api.getIFrame();
    if (made) { made.setAttribute("allow", ALLOW); made.title = document.title; }
  } else if (d.kind === "bbb" && d.join) {
    frame(d.join);
  }

  function show(body) {
    list.textContent = "";
    body.present.forEach(function (person) {
      var li = document.createElement("li");
      li.textContent = person.name;
      li.dataset.user = person.user_id;
      list.appendChild(li);
    });
    if (body.present.length < 2) {
      var alone = document.createElement("li");
      alone.className = "rs-meta";
      alone.textContent = d.textAlone;
      list.appendChild(alone);
    }
    room.dataset.status = body.status;
    status.textContent = body.held ? d.textHeld : d.textWaiting;
  }

  var every = Math.max(5, parseInt(d.heartbeat, 10) || 20) * 1000;
  function beat() {
    window.Ritmo.api("/api/meetings/" + d.meeting + "/presence", {method: "POST"}).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(show, function () { status.textContent = d.textLost; });
  }
  beat();
  var timer = window.setInterval(beat, every);
  window.addEventListener("pagehide", function () { window.clearInterval(timer); });
})();
