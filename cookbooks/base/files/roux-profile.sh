# Installed by roux (cookbook base). Local changes are overwritten.
export HISTTIMEFORMAT="%F %T "
