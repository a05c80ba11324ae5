"""Reading what CLIPER left on disk (see ../shared/samples/cliper/README.md).

`locate.find_videos` turns whatever path the user gave into video folders;
`reader.read_video` turns one video folder into schedulable clips plus the
problems found on the way.
"""
