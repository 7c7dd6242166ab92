"""Announcement audio: espeak-ng → sox telephony WAV in both languages, uploads checked and
converted, stored under routing-audio/<tenant>/ and audited."""

import io

import numpy as np
import pytest
import soundfile
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from callrouting import audio, services
from callrouting.defaults import default_text, render_text
from recordings.storage import get_store


def telephony(data: bytes):
    info = soundfile.info(io.BytesIO(data))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 8000, 1)
    return info


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("mode", ["notice", "opt_out", "opt_in"])
def test_generated_audio_is_telephony_wav_of_plausible_duration(language, mode):
    text = render_text(
        default_text(mode, language), language=language, objection_key="9", consent_key="1"
    )
    result = audio.synthesise(text, language)
    info = telephony(result.data)
    words = len(text.split())
    seconds = info.frames / info.samplerate
    assert result.duration == pytest.approx(seconds, abs=0.01)
    # Speech runs at about 2-3.5 words per second; pauses make it slower, never faster.
    assert words / 4.0 < seconds < words / 1.5, (words, seconds)
    samples, _rate = soundfile.read(io.BytesIO(result.data))
    assert np.abs(samples).max() > 0.1  # it speaks, it is not silence


def test_longer_text_gives_longer_audio():
    short = audio.synthesise("Guten Tag.", "de")
    long = audio.synthesise("Guten Tag. " * 6, "de")
    assert long.duration > 3 * short.duration


def write(fmt, rate=44100, channels=2, seconds=1.5):
    t = np.linspace(0, seconds, int(rate * seconds), endpoint=False)
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    data = np.stack([tone] * channels, axis=1)
    buffer = io.BytesIO()
    soundfile.write(buffer, data, rate, format=fmt)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_upload_is_converted_to_telephony_wav(fmt):
    result = audio.convert_upload(write(fmt))
    info = telephony(result.data)
    assert info.frames / info.samplerate == pytest.approx(1.5, abs=0.05)


@pytest.mark.parametrize(
    ("payload", "code"), [(b"", "empty"), (b"this is not audio at all" * 10, "not_audio")]
)
def test_upload_refuses_what_is_not_audio(payload, code):
    with pytest.raises(audio.AudioError) as info:
        audio.convert_upload(io.BytesIO(payload))
    assert info.value.code == code


def test_upload_refuses_too_long():
    with pytest.raises(audio.AudioError) as info:
        audio.convert_upload(write("FLAC", rate=8000, channels=1, seconds=181))
    assert info.value.code == "too_long"


@pytest.mark.django_db
def test_services_store_audio_and_audit(routing, admin_a, tenant_a):
    generated = services.generate_audio(actor=admin_a, routing=routing, language="de")
    assert generated.storage_key.startswith(f"routing-audio/{tenant_a.pk}/{routing.pk}/de-")
    telephony(get_store().read_small(generated.storage_key, 10_000_000))
    again = services.generate_audio(actor=admin_a, routing=routing, language="de")
    assert again.pk == generated.pk
    uploaded = services.upload_audio(
        actor=admin_a, routing=routing, language="en", fileobj=write("WAV"), name="hello.wav"
    )
    routing.refresh_from_db()
    assert (routing.audio_de_id, routing.audio_en_id) == (generated.pk, uploaded.pk)
    actions = list(
        AuditEvent.objects.for_actor(admin_a, tenant_a)
        .filter(action__startswith="routing.audio")
        .values_list("action", flat=True)
        .order_by("seq")
    )
    assert actions == ["routing.audio_generated", "routing.audio_uploaded"]
    with pytest.raises(ValidationError) as info:
        services.upload_audio(
            actor=admin_a,
            routing=routing,
            language="en",
            fileobj=io.BytesIO(b"nope" * 100),
            name="x.wav",
        )
    assert info.value.error_dict["audio"][0].code == "not_audio"
