from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self):
        from crisis import people

        from . import plugins

        # A supervisor's merge of duplicate people moves every program's own rows through its plug-in.
        people.register_person_mover("programs", plugins.person_merge)
