"""Raw-container tasks as users write them; serialised once into ../../fixtures/*.pb by `pyflyte package`."""
import datetime

from flytekit import ContainerTask, kwtypes, workflow
from flytekit.types.directory import FlyteDirectory
from flytekit.types.file import FlyteFile

echo_msg = ContainerTask(
    name="echo_msg",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs=kwtypes(msg=str),
    outputs=kwtypes(out=str),
    command=["sh", "-c", "echo {{.inputs.msg}} > /var/outputs/out"],
)

typed_io = ContainerTask(
    name="typed_io",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    metadata_format=ContainerTask.MetadataFormat.YAML,
    inputs=kwtypes(
        i=int, f=float, b=bool, s=str, dt=datetime.datetime, d=datetime.timedelta, infile=FlyteFile, indir=FlyteDirectory
    ),
    outputs=kwtypes(
        i=int, f=float, b=bool, s=str, dt=datetime.datetime, d=datetime.timedelta, outfile=FlyteFile, outdir=FlyteDirectory
    ),
    command=[
        "sh",
        "-c",
        "cp /var/inputs/i /var/inputs/f /var/inputs/b /var/inputs/s /var/inputs/dt /var/inputs/d /var/outputs/"
        " && cp /var/inputs/infile /var/outputs/outfile && cp -r /var/inputs/indir /var/outputs/outdir",
    ],
)


@workflow
def echo_wf(msg: str = "hi") -> str:
    return echo_msg(msg=msg)
