"""The world the generator draws from: devices, players, CDNs, content and countries."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AD_ERROR_CODES",
    "BITRATE_LADDER_KBPS",
    "BOT_USER_AGENT",
    "CDNS",
    "CDN_HOSTS",
    "COUNTRIES",
    "DEVICES",
    "FATAL_CODES",
    "PLAYER_VERSIONS",
    "RECOVERABLE_CODES",
    "START_FAILURE_CODES",
    "DeviceProfile",
    "content_catalogue",
]


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    type: str
    model: str | None
    user_agent: str
    screen: tuple[int, int]
    player: str
    weight: float


DEVICES = (
    DeviceProfile(
        "desktop",
        None,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        (1920, 1080),
        "sluice-web",
        0.30,
    ),
    DeviceProfile(
        "desktop",
        None,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        (2560, 1440),
        "sluice-web",
        0.12,
    ),
    DeviceProfile(
        "desktop",
        None,
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        (1920, 1080),
        "sluice-web",
        0.04,
    ),
    DeviceProfile(
        "mobile",
        "iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        (1179, 2556),
        "sluice-ios",
        0.22,
    ),
    DeviceProfile(
        "mobile",
        "Pixel 8",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        (1080, 2400),
        "sluice-android",
        0.16,
    ),
    DeviceProfile(
        "tablet",
        "iPad",
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        (2048, 2732),
        "sluice-ios",
        0.06,
    ),
    DeviceProfile(
        "tv",
        "Samsung Tizen TV",
        "Mozilla/5.0 (SMART-TV; LINUX; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
        (3840, 2160),
        "sluice-tv",
        0.08,
    ),
    DeviceProfile(
        "console",
        "PlayStation 5",
        "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
        (3840, 2160),
        "sluice-tv",
        0.02,
    ),
)

PLAYER_VERSIONS = {
    "sluice-web": ("4.12.0", "4.12.1", "4.13.0"),
    "sluice-ios": ("3.8.2", "3.9.0"),
    "sluice-android": ("3.8.1", "3.9.0"),
    "sluice-tv": ("2.4.0",),
}

CDNS = (("akamai", 0.45), ("cloudfront", 0.35), ("fastly", 0.20))
CDN_HOSTS = {
    "akamai": "vod.akamaized.example",
    "cloudfront": "d1x.cloudfront.example",
    "fastly": "media.fastly.example",
}

COUNTRIES = (("US", 0.40), ("GB", 0.12), ("DE", 0.10), ("BR", 0.10), ("IN", 0.10), ("JP", 0.08), ("FR", 0.10))

BITRATE_LADDER_KBPS = (400, 800, 1600, 3000, 4500, 6000, 8000)

START_FAILURE_CODES = ("MEDIA_ERR_SRC_NOT_SUPPORTED", "HTTP_403", "HTTP_503", "DRM_LICENSE_FAILED")
FATAL_CODES = ("MEDIA_ERR_NETWORK", "HTTP_503", "MEDIA_ERR_DECODE")
RECOVERABLE_CODES = ("SEGMENT_TIMEOUT", "HTTP_404_SEGMENT", "MANIFEST_RELOAD")
AD_ERROR_CODES = ("VAST_303", "VAST_402", "VAST_900")

# Automation a bot filter should catch.
BOT_USER_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def content_catalogue(size: int = 200) -> list[tuple[str, str, int | None, bool]]:
    """(content id, title, duration ms, live) for a catalogue of ``size`` titles."""
    items = []
    for index in range(size):
        live = index % 25 == 0
        duration = None if live else (22 + (index * 7) % 100) * 60_000
        items.append((f"content-{index:04d}", f"Title {index:04d}", duration, live))
    return items
