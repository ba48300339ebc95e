# sandbox: fixtures/live/empty-3.2.json
#
# OceanBase 3.x, round mode: copy the archive log continuously to a
# second destination (START BACKUP ARCHIVELOG), checkpointing every 2 hours as
# the 3.2 documents show. Round mode and piece mode exclude each other.
#
# Builds: needs OceanBase 3.2 or later (3.1 caps the backup-backup
# checkpoint interval at 1h).

cluster {
  version     = "3.2"
  backup_dest = "file:///data/nfs/backup"

  log_archive {
    enabled = true
  }

  backup_backup {
    destination                     = "file:///data/nfs/backup_backup"
    log_archive_checkpoint_interval = "2h"
    archivelog                      = true
  }

  data_backup {
    full { max_age = "7d" }
  }
}
