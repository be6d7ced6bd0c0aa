"""The supervision log over the API: an intern's notes (or a supervisor's interns'), add, sign off."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions

from . import interns, selectors
from .models import SupervisionNote


class SupervisionNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    intern = serializers.CharField()
    university = serializers.CharField()
    at = serializers.DateTimeField()
    text = serializers.CharField()
    signed_by = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=interns.NOTE_MAX)


class SignInput(serializers.Serializer):
    comment = serializers.CharField(max_length=interns.NOTE_MAX, required=False, allow_blank=True, default="")


def note_row(note: SupervisionNote) -> dict:
    def name(user):
        return (user.get_full_name() or user.get_username()) if user else None

    return {
        "id": note.pk,
        "intern": name(note.term.user),
        "university": note.term.university,
        "at": note.at,
        "text": note.text,
        "signed_by": name(note.signed_by),
        "signed_at": note.signed_at,
        "comment": note.comment,
    }


class SupervisionNotes(APIView):
    """GET: the intern's own log, or the notes of the interns the user supervises. POST: an intern adds a note."""

    @extend_schema(responses=SupervisionNoteSerializer(many=True))
    def get(self, request):
        return Response([note_row(n) for n in selectors.supervision_notes_for(request.user)])

    @extend_schema(request=NoteInput, responses={201: SupervisionNoteSerializer})
    def post(self, request):
        # Who may write comes before what is wrong with the body (403 before 400).
        permissions.require(
            permissions.may_write_supervision_note, request.user, None, "Only an intern in their term writes here."
        )
        ser = NoteInput(data=request.data)
        ser.is_valid(raise_exception=True)
        note = interns.supervision_note_add(by=request.user, text=ser.validated_data["text"])
        return Response(note_row(note), status=201)


class SupervisionNoteSign(APIView):
    @extend_schema(request=SignInput, responses=SupervisionNoteSerializer)
    def post(self, request, pk: int):
        selectors.require_supervision_log(request.user)
        note = get_object_or_404(SupervisionNote.objects.select_related("term__user"), pk=pk)
        ser = SignInput(data=request.data)
        ser.is_valid(raise_exception=True)
        note = interns.supervision_note_sign(note=note, by=request.user, comment=ser.validated_data["comment"])
        return Response(note_row(note))
