variable "create" {
  description = "Create the loader's queues, the lake notification and (with create_cluster) the cluster; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the cluster and its companions."
  type        = string
}

variable "create_cluster" {
  description = "Create the Redshift cluster (false in the local stack: the embedded PostgreSQL stands in)."
  type        = bool
  default     = true
}

variable "lake_bucket_name" {
  description = "The lake bucket whose new objects are loaded."
  type        = string
}

variable "lake_bucket_arn" {
  description = "The lake bucket's ARN."
  type        = string
}

variable "lake_kms_key_arn" {
  description = "The lake's key (COPY decrypts with it)."
  type        = string
}

variable "loader_timeout_seconds" {
  description = "The loader's timeout, to size the queue's visibility timeout."
  type        = number
  default     = 120
}

variable "subnet_ids" {
  description = "Private subnets of the cluster."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the cluster (ingress only from the loader)."
  type        = list(string)
  default     = []
}

variable "database_name" {
  description = "Database name."
  type        = string
  default     = "sluice"
}

variable "master_username" {
  description = "Admin user; its password is managed by Redshift in Secrets Manager."
  type        = string
  default     = "sluice_admin"
}

variable "node_type" {
  description = "Node type."
  type        = string
  default     = "ra3.xlplus"
}

variable "number_of_nodes" {
  description = "Nodes."
  type        = number
  default     = 2
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "alarm_topic_arn" {
  description = "SNS topic for the dead-letter alarm (null: no actions)."
  type        = string
  default     = null
}
